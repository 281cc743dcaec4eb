// spawn_process with real children (the fake_child helper): isolation and failure reporting.
#include "daemon/process/spawn.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/unprivileged.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace taskd::process {
namespace {

struct Finished {
  std::string out;
  int status = 0;
};

Finished run(SpawnSpec spec) {
  auto spawned = spawn_process(spec);
  EXPECT_TRUE(spawned) << (spawned ? "" : spawned.error().message);
  Finished done;
  if (!spawned) return done;
  if (spawned->stdout_pipe) {
    ::fcntl(spawned->stdout_pipe.get(), F_SETFL, 0);  // blocking, for the test
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(spawned->stdout_pipe.get(), buffer, sizeof buffer)) > 0)
      done.out.append(buffer, n);
  }
  ::waitpid(spawned->pid, &done.status, 0);
  return done;
}

SpawnSpec child(std::vector<std::string> args) {
  SpawnSpec spec;
  spec.argv = {test::fake_child_binary()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  return spec;
}

TEST(Spawn, EnvironmentCwdAndUmask) {
  SpawnSpec spec = child({"--env", "ANSWER", "--cwd", "--umask"});
  spec.env = {{"ANSWER", "42"}};
  spec.cwd = "/tmp";
  spec.umask = 027;
  auto done = run(spec);
  EXPECT_EQ(done.out, "ANSWER=42\n/tmp\n027\n");
}

TEST(Spawn, OnlyStdioIsInherited) {
  int leaked = ::open("/dev/null", O_RDONLY);  // not O_CLOEXEC on purpose
  auto done = run(child({"--fds"}));
  ::close(leaked);
  EXPECT_EQ(done.out, "fds:\n");
}

TEST(Spawn, StdinIsDevNull) {
  auto done = run(child({"--echo-stdin", "--out", "eof"}));
  EXPECT_EQ(done.out, "eof\n");
}

TEST(Spawn, SignalMaskAndDispositionsAreReset) {
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &block, &old);
  auto previous = ::signal(SIGTERM, SIG_IGN);
  auto done = run(child({"--kill-self", "TERM", "--sleep", "1000"}));
  ::signal(SIGTERM, previous);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(WIFSIGNALED(done.status));
  EXPECT_EQ(WTERMSIG(done.status), SIGTERM);
}

TEST(Spawn, OwnSessionAndProcessGroup) {
  SpawnSpec spec = child({"--sleep", "2000"});
  spec.stdout_spec.mode = OutputMode::kNull;
  auto spawned = spawn_process(spec);
  ASSERT_TRUE(spawned);
  EXPECT_EQ(::getpgid(spawned->pid), spawned->pid);
  EXPECT_EQ(::getsid(spawned->pid), spawned->pid);
  ::kill(spawned->pid, SIGKILL);
  ::waitpid(spawned->pid, nullptr, 0);
}

TEST(Spawn, MergedStderr) {
  SpawnSpec spec = child({"--out", "one", "--err", "two"});
  spec.stderr_spec.mode = OutputMode::kSameAsStdout;
  EXPECT_EQ(run(spec).out, "one\ntwo\n");
}

TEST(Spawn, MissingBinaryIsReportedWithErrno) {
  SpawnSpec spec;
  spec.argv = {"/nonexistent/program"};
  auto spawned = spawn_process(spec);
  ASSERT_FALSE(spawned);
  EXPECT_EQ(spawned.error().code, ErrorCode::kSpawnFailed);
  EXPECT_EQ(spawned.error().message,
            "cannot execute '/nonexistent/program': No such file or directory");
  spec.argv = {"no-such-program-in-path"};
  EXPECT_FALSE(spawn_process(spec));
}

TEST(Spawn, NotExecutableAndBadCwd) {
  test::TempDir dir;
  test::write_file(dir.file("script"), "#!/bin/sh\n");
  ::chmod(dir.file("script").c_str(), 0644);
  SpawnSpec spec;
  spec.argv = {dir.file("script")};
  auto denied = spawn_process(spec);
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().message.find("Permission denied"), std::string::npos);
  SpawnSpec cwd = child({});
  cwd.cwd = "/nonexistent-dir";
  auto bad = spawn_process(cwd);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("working directory '/nonexistent-dir'"), std::string::npos);
}

TEST(Spawn, PathLookup) {
  SpawnSpec spec;
  spec.argv = {"sh", "-c", "echo found"};
  EXPECT_EQ(run(spec).out, "found\n");
}

TEST(Spawn, UserDropWhenRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch users";
  SpawnSpec spec = child({"--ids"});
  spec.user = "nobody";
  auto done = run(spec);
  EXPECT_TRUE(done.out.starts_with("65534 65534 ")) << done.out;
}

TEST(Spawn, UnknownUserFails) {
  SpawnSpec spec = child({});
  spec.user = "no-such-user-xyz";
  auto spawned = spawn_process(spec);
  ASSERT_FALSE(spawned);
  EXPECT_NE(spawned.error().message.find("no such user"), std::string::npos);
}

std::string nobody_home() {
  passwd* entry = ::getpwnam("nobody");
  return entry && entry->pw_dir && *entry->pw_dir ? entry->pw_dir : "/";
}

// Finding 5: the working directory is entered as the target user, so nobody cannot start in (and
// read through) a directory only root may enter.
TEST(SpawnPrivileges, CwdIsEnteredAfterThePrivilegeDrop) {
  if (!test::can_drop_to_nobody()) GTEST_SKIP() << "needs root to switch users";
  test::TempDir dir;
  std::string closed = dir.file("root-only");
  std::string secret_dir = closed + "/x";  // open itself, but only reachable through root-only
  ::mkdir(closed.c_str(), 0700);
  ::mkdir(secret_dir.c_str(), 0755);
  ::chmod(dir.path().c_str(), 0755);
  SpawnSpec spec = child({"--cwd"});
  spec.user = "nobody";
  spec.cwd = secret_dir;
  auto spawned = spawn_process(spec);
  ASSERT_FALSE(spawned) << "nobody started inside a root-only directory";
  EXPECT_EQ(spawned.error().message, "cannot change to the working directory '" + secret_dir +
                                         "' as user 'nobody': Permission denied");
  spec.user = "";  // root may
  EXPECT_EQ(run(spec).out, secret_dir + "\n");
}

TEST(SpawnPrivileges, ADroppedUserGetsAMinimalEnvironment) {
  if (!test::can_drop_to_nobody()) GTEST_SKIP() << "needs root to switch users";
  ::setenv("TASKD_TEST_SECRET", "hunter2", 1);
  SpawnSpec spec = child({"--env", "TASKD_TEST_SECRET", "--env", "HOME", "--env", "USER", "--env",
                          "LOGNAME", "--env", "ANSWER", "--env", "PATH"});
  spec.user = "nobody";
  spec.env = {{"ANSWER", "42"}};
  auto done = run(spec);
  const char* path = std::getenv("PATH");
  EXPECT_EQ(done.out, "TASKD_TEST_SECRET unset\nHOME=" + nobody_home() +
                          "\nUSER=nobody\nLOGNAME=nobody\nANSWER=42\nPATH=" +
                          std::string(path ? path : "") + "\n");
  spec.user = "";  // a root child keeps the daemon's environment (supervisord compatible)
  EXPECT_NE(run(spec).out.find("TASKD_TEST_SECRET=hunter2"), std::string::npos);
  ::unsetenv("TASKD_TEST_SECRET");
}

TEST(SpawnPrivileges, SupplementaryGroupsAreTheUsers) {
  if (!test::can_drop_to_nobody()) GTEST_SKIP() << "needs root to switch users";
  gid_t extra = 4242;  // the daemon's own supplementary group must not reach the child
  gid_t saved[64];
  int saved_count = ::getgroups(64, saved);
  ASSERT_EQ(::setgroups(1, &extra), 0);
  SpawnSpec spec;
  spec.argv = {"id", "-G"};
  spec.user = "nobody";
  auto done = run(spec);
  ::setgroups(static_cast<std::size_t>(saved_count), saved);
  EXPECT_EQ(done.out.find("4242"), std::string::npos) << done.out;
}

TEST(SpawnPrivileges, NulBytesAreRefusedNotCut) {
  SpawnSpec spec = child({});
  spec.user = std::string("nobody\0root", 11);
  auto spawned = spawn_process(spec);
  ASSERT_FALSE(spawned);
  EXPECT_EQ(spawned.error().message, "invalid user: a NUL byte or a bad variable name");
  spec.user = "";
  spec.cwd = std::string("/tmp\0/x", 7);
  EXPECT_FALSE(spawn_process(spec));
  spec.cwd = "";
  spec.env = {{"PATH=/evil:/bin", "x"}};
  EXPECT_FALSE(spawn_process(spec));
  EXPECT_FALSE(find_account(std::string("nobody\0root", 11)));  // chowns agents' work dirs
}

TEST(SpawnEnvironment, MinimalForAnAccount) {
  Account account{"agent", 1000, 1000, "/home/agent", "/bin/bash"};
  std::vector<std::string> daemon_env = {"PATH=/sbin:/bin", "LANG=C.UTF-8", "HOME=/root",
                                         "AWS_SECRET_ACCESS_KEY=x", "NOTIFY_SOCKET=/run/n"};
  EXPECT_EQ(child_environment(daemon_env, &account, {{"HOME", "/work"}, {"A", "1"}}),
            (std::vector<std::string>{"A=1", "HOME=/work", "LANG=C.UTF-8", "LOGNAME=agent",
                                      "PATH=/sbin:/bin", "SHELL=/bin/bash", "USER=agent"}));
  auto no_path = child_environment({}, &account, {});
  EXPECT_EQ(no_path[2], "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin");
  EXPECT_EQ(child_environment(daemon_env, nullptr, {{"A", "1"}}),
            (std::vector<std::string>{"A=1", "AWS_SECRET_ACCESS_KEY=x", "HOME=/root",
                                      "LANG=C.UTF-8", "NOTIFY_SOCKET=/run/n", "PATH=/sbin:/bin"}));
}

// Finding 18: a task's, exec's or agent's child dies with the daemon, also after a user switch
// (which clears the parent-death signal).
TEST(SpawnPrivileges, DiesWithTheDaemonAfterTheUserSwitch) {
  if (!test::can_drop_to_nobody()) GTEST_SKIP() << "needs root to switch users";
  int pid_pipe[2];
  ASSERT_EQ(::pipe(pid_pipe), 0);
  pid_t daemon = ::fork();
  if (daemon == 0) {  // stands in for taskd: spawns, reports the pid, dies
    ::close(pid_pipe[0]);
    SpawnSpec spec = child({"--sleep", "30000"});
    spec.user = "nobody";
    spec.die_with_daemon = true;
    spec.stdout_spec.mode = OutputMode::kNull;
    auto spawned = spawn_process(spec);
    pid_t pid = spawned ? spawned->pid : -1;
    (void)!::write(pid_pipe[1], &pid, sizeof pid);
    ::_exit(0);
  }
  ::close(pid_pipe[1]);
  pid_t orphan = -1;
  ASSERT_EQ(::read(pid_pipe[0], &orphan, sizeof orphan), static_cast<ssize_t>(sizeof orphan));
  ::close(pid_pipe[0]);
  ::waitpid(daemon, nullptr, 0);
  ASSERT_GT(orphan, 0);
  bool gone =
      test::wait_until([&] { return !test::process_alive(orphan); }, std::chrono::seconds(10));
  if (!gone) ::kill(orphan, SIGKILL);
  EXPECT_TRUE(gone) << "the child outlived its parent";
}

}  // namespace
}  // namespace taskd::process
