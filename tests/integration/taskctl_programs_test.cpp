// The real taskctl against a real daemon: supervisorctl-style text, --json, and exit codes.
#include "tests/support/supervision_helpers.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <thread>

namespace taskd::test {
namespace {

class Taskctl : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon.start()) << daemon.startup_error();
    connection = std::make_unique<RpcTestClient>(daemon.socket_path());
    ASSERT_TRUE(wait_for_state(*connection, "web", "RUNNING"));
  }
  Daemon daemon{{.config = "[programs.web]\n" + fake_cmd({"--out", "hello", "--wait"}) +
                           "starttime = 0\n" + "[programs.idle]\n" + fake_cmd({"--wait"}) +
                           "autostart = false\nstarttime = 0\n"}};
  std::unique_ptr<RpcTestClient> connection;
};

TEST_F(Taskctl, StatusLayoutAndExitCodes) {
  auto all = daemon.taskctl({"status"});
  EXPECT_EQ(all.exit_code, 3);  // idle is not running
  std::regex layout(
      R"(idle {29}STOPPED   Not started\nweb {30}RUNNING   pid \d+, uptime 0:00:0\d\n)");
  EXPECT_TRUE(std::regex_match(all.out, layout)) << all.out;
  EXPECT_EQ(daemon.taskctl({"status", "web"}).exit_code, 0);
  auto unknown = daemon.taskctl({"status", "web", "nope"});
  EXPECT_EQ(unknown.exit_code, 4);
  EXPECT_NE(unknown.out.find("nope: ERROR (no such process)"), std::string::npos);
  auto json = daemon.taskctl({"--json", "status", "web"});
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_EQ(parse_json(json.out).at("processes").at(0).at("state").as_string(), "RUNNING");
  EXPECT_EQ(json.out.find('\n'), json.out.size() - 1);  // one document, one line
}

TEST_F(Taskctl, StartStopRestartMessages) {
  auto start = daemon.taskctl({"start", "idle"});
  EXPECT_EQ(start.exit_code, 0) << start.err;
  EXPECT_EQ(start.out, "idle: started\n");
  auto again = daemon.taskctl({"start", "idle"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.out, "idle: ERROR (already started)\n");
  auto pid_before = pid_of(*connection, "web");
  auto restart = daemon.taskctl({"restart", "web"});
  EXPECT_EQ(restart.out, "web: restarted\n");
  EXPECT_NE(pid_of(*connection, "web"), pid_before);
  auto stop = daemon.taskctl({"stop", "all"});
  EXPECT_EQ(stop.out, "idle: stopped\nweb: stopped\n");
  auto not_running = daemon.taskctl({"stop", "web", "ghost"});
  EXPECT_EQ(not_running.exit_code, 1);
  EXPECT_EQ(not_running.out, "web: ERROR (not running)\nghost: ERROR (no such process)\n");
  auto json = daemon.taskctl({"--json", "start", "web"});
  EXPECT_TRUE(parse_json(json.out).at("results").at(0).at("ok").as_bool());
}

TEST_F(Taskctl, UsageErrors) {
  EXPECT_EQ(daemon.taskctl({"start"}).exit_code, 2);
  EXPECT_EQ(daemon.taskctl({"signal", "HUP"}).exit_code, 2);
  EXPECT_EQ(daemon.taskctl({"tail"}).exit_code, 2);
  EXPECT_EQ(daemon.taskctl({"tail", "web", "stdin"}).exit_code, 2);
  auto bad_signal = daemon.taskctl({"signal", "BOGUS", "web"});
  EXPECT_EQ(bad_signal.exit_code, 1);
  EXPECT_NE(bad_signal.err.find("signal"), std::string::npos);
}

TEST_F(Taskctl, PidAvailClearMaintail) {
  auto pid = daemon.taskctl({"pid"});
  EXPECT_EQ(pid.out, std::to_string(daemon.pid()) + "\n");
  EXPECT_EQ(daemon.taskctl({"pid", "web"}).out, std::to_string(pid_of(*connection, "web")) + "\n");
  auto avail = daemon.taskctl({"avail"});
  EXPECT_NE(avail.out.find("idle"), std::string::npos);
  EXPECT_NE(avail.out.find("manual"), std::string::npos);
  ASSERT_TRUE(wait_until([&] { return daemon.taskctl({"tail", "web"}).out == "hello\n"; }));
  EXPECT_EQ(daemon.taskctl({"clear", "web"}).out, "web: cleared\n");
  EXPECT_EQ(daemon.taskctl({"tail", "web"}).out, "");
  auto maintail = daemon.taskctl({"maintail", "-100000"});
  EXPECT_NE(maintail.out.find("spawned: 'web'"), std::string::npos);
}

TEST_F(Taskctl, TailFollowStopsOnCtrlC) {
  // taskctl tail -f in the background; output appended later must show up, SIGINT ends it.
  TempDir dir;
  std::string out_path = dir.file("follow.out");
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::execl(taskctl_binary().c_str(), taskctl_binary().c_str(), "-s", daemon.socket_path().c_str(),
            "tail", "-f", "web", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ASSERT_TRUE(wait_until([&] { return read_file(out_path) == "hello\n"; }));
  connection->call("programs.restart", {{"names", {"web"}}});  // writes "hello" again
  EXPECT_TRUE(wait_until([&] { return read_file(out_path) == "hello\nhello\n"; }))
      << read_file(out_path);
  ::kill(pid, SIGINT);
  int status = 0;
  ASSERT_TRUE(wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace taskd::test
