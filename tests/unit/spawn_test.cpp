// spawn_process with real children (the fake_child helper): isolation and failure reporting.
#include "daemon/supervisor/spawn.h"
#include "tests/support/daemon_harness.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace taskd::supervisor {
namespace {

struct Finished {
  std::string out;
  int status = 0;
};

Finished run(SpawnSpec spec) {
  if (spec.env.empty()) spec.env = merged_environment({});
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
  spec.env = merged_environment({{"ANSWER", "42"}});
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
  spec.env = merged_environment({});
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
  spec.env = merged_environment({});
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
  spec.env = merged_environment({});
  auto denied = spawn_process(spec);
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().message.find("Permission denied"), std::string::npos);
  SpawnSpec cwd = child({});
  cwd.env = merged_environment({});
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

}  // namespace
}  // namespace taskd::supervisor
