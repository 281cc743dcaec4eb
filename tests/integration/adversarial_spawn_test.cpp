// Attacks on how taskd starts children (issue 10 findings 5, 14, 18), against the real daemon:
// a working directory reached through root's permissions, the daemon's secrets in a dropped
// child's environment, agents that always run as root, and children a killed taskd leaves behind.
#include "tests/support/supervision_helpers.h"
#include "tests/support/unprivileged.h"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include <dirent.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>

namespace taskd::test {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kSecret = "TASKD_TEST_SECRET_TOKEN";

json::value result_of(RpcTestClient& client, const std::string& method, json::value params) {
  auto reply = client.call(method, std::move(params), 20000);
  EXPECT_TRUE(reply.as_object().contains("result")) << method << ": " << json::serialize(reply);
  return reply.as_object().contains("result") ? reply.at("result") : reply;
}

std::string nobody_home() {
  passwd* entry = ::getpwnam("nobody");
  return entry && entry->pw_dir && *entry->pw_dir ? entry->pw_dir : "/";
}

// "NAME=value" entries of a live process's environment.
std::vector<std::string> environment_of(std::int64_t pid) {
  std::string raw = read_file("/proc/" + std::to_string(pid) + "/environ");
  std::vector<std::string> env;
  std::size_t start = 0;
  for (std::size_t end; (end = raw.find('\0', start)) != std::string::npos; start = end + 1)
    env.push_back(raw.substr(start, end - start));
  return env;
}

bool has_entry(const std::vector<std::string>& env, const std::string& prefix) {
  for (const auto& entry : env) {
    if (entry.starts_with(prefix)) return true;
  }
  return false;
}

std::string uid_of(std::int64_t pid) {
  std::istringstream status(read_file("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("Uid:")) {
      std::istringstream fields(line.substr(4));
      std::string real;
      fields >> real;
      return real;
    }
  }
  return "";
}

// Live processes whose command line contains `marker`.
std::vector<pid_t> processes_with(const std::string& marker) {
  std::vector<pid_t> found;
  DIR* proc = ::opendir("/proc");
  while (dirent* entry = proc ? ::readdir(proc) : nullptr) {
    pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0 || !process_alive(pid)) continue;
    std::string cmdline = read_file("/proc/" + std::string(entry->d_name) + "/cmdline");
    if (cmdline.find(marker) != std::string::npos) found.push_back(pid);
  }
  if (proc) ::closedir(proc);
  return found;
}

// Finding 5: exec.run {user: nobody, cwd: /root-only/x} started nobody inside x (chdir ran as
// root), so nobody read a file there it could never have reached.
TEST(AdversarialSpawn, ExecCwdIsEnteredAsTheUserNotAsRoot) {
  if (!can_drop_to_nobody()) GTEST_SKIP() << "needs root";
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  // x and its file are open, but only reachable through root-only: the lock is the parent.
  std::string closed = daemon.dir() + "/root-only/x";
  ::mkdir((daemon.dir() + "/root-only").c_str(), 0700);
  ::mkdir(closed.c_str(), 0755);
  write_file(closed + "/secret.txt", "root's secret\n");
  ::chmod((closed + "/secret.txt").c_str(), 0644);
  ::chmod(daemon.dir().c_str(), 0755);
  RpcTestClient client(daemon.socket_path());
  auto run = result_of(client, "exec.run",
                       {{"cmd", {"cat", "secret.txt"}}, {"user", "nobody"}, {"cwd", closed}});
  EXPECT_EQ(run.at("reason").as_string(), "spawn_failed") << json::serialize(run);
  EXPECT_EQ(run.as_object().contains("stdout") ? run.at("stdout").as_string() : "", "");
  std::string error =
      run.as_object().contains("error") ? std::string(run.at("error").as_string()) : "";
  EXPECT_NE(error.find("cannot change to the working directory '" + closed +
                       "' as user 'nobody': Permission denied"),
            std::string::npos)
      << json::serialize(run);
}

// Finding 5: a child dropped to nobody inherited the daemon's environment (HOME=/root, secrets).
TEST(AdversarialSpawn, ExecAsAUserSeesOnlyAMinimalEnvironment) {
  if (!can_drop_to_nobody()) GTEST_SKIP() << "needs root";
  Daemon daemon({.env = {{kSecret, "hunter2"}}});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  auto run = result_of(client, "exec.run",
                       {{"cmd", {"env"}}, {"user", "nobody"}, {"env", {{"ASKED", "yes"}}}});
  std::string out(run.at("stdout").as_string());
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  EXPECT_NE(out.find("HOME=" + nobody_home() + "\n"), std::string::npos) << out;
  EXPECT_NE(out.find("USER=nobody\n"), std::string::npos) << out;
  EXPECT_NE(out.find("ASKED=yes\n"), std::string::npos) << out;
  // A root child keeps the daemon's environment, as supervisord's children do.
  auto as_root = result_of(client, "exec.run", {{"cmd", {"env"}}});
  EXPECT_NE(std::string(as_root.at("stdout").as_string()).find("hunter2"), std::string::npos);
}

std::string agent_config(const std::string& extra) {
  return "[sessions]\nagent = [\"" + echo_agent_binary() + "\"]\nready = \"line\"\n" + extra;
}

void expect_agent_is_nobody(RpcTestClient& client, std::int64_t pid) {
  EXPECT_EQ(uid_of(pid), std::to_string(nobody().uid));
  auto env = environment_of(pid);
  EXPECT_FALSE(has_entry(env, kSecret)) << "the daemon's secret reached the agent";
  EXPECT_TRUE(has_entry(env, "HOME=" + nobody_home()));
  EXPECT_TRUE(has_entry(env, "TASKD_TASK_ID="));
  result_of(client, "events.subscribe", {{"topics", {"session"}}});
  result_of(client, "session.switch", {{"id", "a"}});
  result_of(client, "session.prompt", {{"message", "whoami"}});
  std::string said;
  for (int i = 0; i < 50 && said.find(" in ") == std::string::npos; ++i) {
    auto event = client.next_event(10000);
    if (!event) break;
    const auto& params = event->at("params");
    if (params.at("type").as_string() == "agent_output")
      said += std::string(params.at("chunk").as_string());
  }
  EXPECT_NE(said.find("task a in "), std::string::npos) << said;
  EXPECT_NE(said.find("/sessions/a/work"), std::string::npos) << "not in its work dir: " << said;
}

// Finding 14: agents always ran as root with the daemon's environment.
TEST(AdversarialSpawn, AgentsRunAsTheConfiguredUser) {
  if (!can_drop_to_nobody()) GTEST_SKIP() << "needs root";
  Daemon daemon({.config = agent_config("user = \"nobody\"\n"), .env = {{kSecret, "hunter2"}}});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  auto opened = result_of(client, "session.open", {{"id", "a"}});
  ASSERT_TRUE(opened.as_object().contains("pid"));
  expect_agent_is_nobody(client, opened.at("pid").as_int64());
  struct stat work {};
  ASSERT_EQ(::stat((daemon.data_dir() + "/sessions/a/work").c_str(), &work), 0);
  EXPECT_EQ(work.st_uid, nobody().uid);
  struct stat session_dir {};
  ASSERT_EQ(::stat((daemon.data_dir() + "/sessions/a").c_str(), &session_dir), 0);
  EXPECT_EQ(session_dir.st_uid, 0u) << "the session dir (session.json) must stay root's";
}

TEST(AdversarialSpawn, SessionOpenTakesAUser) {
  if (!can_drop_to_nobody()) GTEST_SKIP() << "needs root";
  Daemon daemon({.config = agent_config(""), .env = {{kSecret, "hunter2"}}});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  auto opened = result_of(client, "session.open", {{"id", "a"}, {"user", "nobody"}});
  ASSERT_TRUE(opened.as_object().contains("pid"));
  expect_agent_is_nobody(client, opened.at("pid").as_int64());
  auto unknown = client.call("session.open", {{"id", "b"}, {"user", "no-such-user-xyz"}}, 20000);
  EXPECT_NE(json::serialize(unknown).find("no such user"), std::string::npos)
      << json::serialize(unknown);
}

TEST(AdversarialSpawn, AnUnknownSessionsUserIsAConfigError) {
  Daemon daemon({.config = agent_config("user = \"no-such-user-xyz\"\n")});
  EXPECT_FALSE(daemon.start());
  EXPECT_NE(daemon.startup_error().find("sessions.user: no such user 'no-such-user-xyz'"),
            std::string::npos)
      << daemon.startup_error();
}

// Finding 18: after kill -9 of taskd its children lived on; the restarted taskd started a second
// copy of every program, and a task's process outlived its task.
TEST(AdversarialSpawn, ARestartAfterKillMinusNineLeavesOneCopyOfEachChild) {
  std::string program_marker = "program-marker-" + std::to_string(::getpid());
  std::string task_marker = "task-marker-" + std::to_string(::getpid());
  Daemon daemon({.config = "[programs.svc]\n" +
                           fake_cmd({"--out", program_marker, "--sleep", "600000"}) +
                           "starttime = 0\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  std::int64_t old_program = 0, old_task = 0;
  {
    RpcTestClient client(daemon.socket_path());
    ASSERT_TRUE(wait_for_state(client, "svc", "RUNNING"));
    old_program = pid_of(client, "svc");
    auto task = result_of(
        client, "tasks.create",
        {{"id", "t"},
         {"spec",
          {{"process",
            {{"cmd", {fake_child_binary(), "--out", task_marker, "--sleep", "600000"}}}}}}});
    old_task = task.at("task").at("status").at("state").at("running").at("pid").as_int64();
  }
  ASSERT_TRUE(process_alive(static_cast<pid_t>(old_program)));
  daemon.stop(SIGKILL);

  EXPECT_TRUE(wait_until([&] { return !process_alive(static_cast<pid_t>(old_task)); }))
      << "the task's process outlived the daemon";
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(wait_for_state(client, "svc", "RUNNING"));
  EXPECT_NE(pid_of(client, "svc"), old_program);
  EXPECT_TRUE(wait_until([&] { return !process_alive(static_cast<pid_t>(old_program)); }))
      << "the previous taskd's program still runs";
  EXPECT_EQ(processes_with(program_marker).size(), 1u) << "two copies of the program";
  EXPECT_TRUE(processes_with(task_marker).empty()) << "the old task process still runs";
  EXPECT_NE(daemon.log().find("left running by a previous taskd"), std::string::npos)
      << daemon.log();
  for (std::int64_t pid : {old_program, old_task}) {
    if (process_alive(static_cast<pid_t>(pid))) ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
}

}  // namespace
}  // namespace taskd::test
