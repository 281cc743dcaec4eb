// The real taskctl shell on a pseudo-terminal against a real daemon: prompt, completion, history
// across runs, Ctrl-C, and a daemon that goes away and comes back.
#include "tests/support/pty_session.h"
#include "tests/support/supervision_helpers.h"

#include <gtest/gtest.h>

#include <signal.h>

namespace taskd::test {
namespace {

constexpr const char* kUp = "\x1b[A";
constexpr const char* kCtrlC = "\x03";
constexpr const char* kCtrlD = "\x04";

class Shell : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon.start()) << daemon.startup_error();
    connection = std::make_unique<RpcTestClient>(daemon.socket_path());
    ASSERT_TRUE(wait_for_state(*connection, "web", "RUNNING"));
    prompt = "taskd@unix:" + daemon.socket_path() + "> ";
  }

  std::unique_ptr<PtySession> open_shell() {
    auto shell = std::make_unique<PtySession>(
        std::vector<std::string>{taskctl_binary(), "-s", daemon.socket_path()},
        std::map<std::string, std::string>{{"HOME", home.path()},
                                           {"XDG_STATE_HOME", home.file("state")},
                                           {"TERM", "xterm"},
                                           {"NO_COLOR", "1"}});
    return shell;
  }

  // Waits for the prompt and for the editor to read keys (see wait_for_raw_mode).
  ::testing::AssertionResult ready(PtySession& shell) {
    if (shell.expect(prompt) && shell.wait_for_raw_mode()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "no prompt:\n"
                                         << shell.transcript() << "\n"
                                         << shell.debug_state();
  }

  // Sends a line and waits for the next prompt; the output in between is in last_match().
  ::testing::AssertionResult run(PtySession& shell, const std::string& line) {
    shell.send(line + "\r");
    return ready(shell);
  }

  Daemon daemon{{.config = "[programs.web]\n" + fake_cmd({"--out", "hello", "--wait"}) +
                           "starttime = 0\n[programs.idle]\n" + fake_cmd({"--wait"}) +
                           "autostart = false\nstarttime = 0\n"}};
  std::unique_ptr<RpcTestClient> connection;
  TempDir home;
  std::string prompt;
};

TEST_F(Shell, PromptGreetsWithStatusAndExitLeaves) {
  auto shell = open_shell();
  ASSERT_TRUE(ready(*shell));
  EXPECT_NE(shell->last_match().find("RUNNING"), std::string::npos);   // status, as supervisorctl
  EXPECT_EQ(shell->last_match().find("\x1b[32m"), std::string::npos);  // NO_COLOR
  ASSERT_TRUE(run(*shell, "version"));
  EXPECT_NE(shell->last_match().find("0.1.0"), std::string::npos);
  ASSERT_TRUE(run(*shell, "bogus"));
  EXPECT_NE(shell->last_match().find("Unknown syntax: bogus"), std::string::npos);
  shell->send("exit\r");
  EXPECT_EQ(shell->wait_exit(), 0);
}

TEST_F(Shell, TabCompletesCommandsAndProgramNames) {
  auto shell = open_shell();
  ASSERT_TRUE(ready(*shell));
  shell->send("sta\t");  // start and status share "sta": both are listed
  ASSERT_TRUE(shell->expect("start")) << shell->transcript();
  ASSERT_TRUE(shell->expect("status")) << shell->transcript();
  ASSERT_TRUE(ready(*shell));  // redrawn below the list
  shell->send("t\t");          // "stat" is unique: completed to "status "
  shell->send("w\t");          // the only process starting with w
  ASSERT_TRUE(run(*shell, ""));
  EXPECT_NE(shell->last_match().find("RUNNING"), std::string::npos) << shell->transcript();
  EXPECT_EQ(shell->last_match().find("idle"), std::string::npos) << shell->transcript();
  shell->send("signal TE\tid\t");  // signal names, then process names
  ASSERT_TRUE(run(*shell, ""));
  EXPECT_NE(shell->last_match().find("idle: ERROR (not running)"), std::string::npos)
      << shell->transcript();
}

TEST_F(Shell, UpArrowRecallsHistoryOfAnEarlierRun) {
  {
    auto first = open_shell();
    ASSERT_TRUE(ready(*first));
    ASSERT_TRUE(run(*first, "status idle"));
    first->send(kCtrlD);
    EXPECT_EQ(first->wait_exit(), 0);
  }
  EXPECT_NE(read_file(home.file("state/taskctl/history")).find("status"), std::string::npos);
  auto second = open_shell();
  ASSERT_TRUE(ready(*second));
  second->send(kUp);
  ASSERT_TRUE(run(*second, ""));
  EXPECT_NE(second->last_match().find("STOPPED"), std::string::npos) << second->transcript();
  EXPECT_EQ(second->last_match().find("web"), std::string::npos) << second->transcript();
}

TEST_F(Shell, CtrlCDropsTheLineAndStopsFollowing) {
  auto shell = open_shell();
  ASSERT_TRUE(ready(*shell));
  shell->send("stop web");
  shell->send(kCtrlC);  // the typed line is dropped, not run
  ASSERT_TRUE(shell->expect("^C")) << shell->transcript();
  ASSERT_TRUE(ready(*shell));
  EXPECT_EQ(state_of(*connection, "web"), "RUNNING");

  shell->send("tail -f web\r");
  ASSERT_TRUE(shell->expect("hello")) << shell->transcript();
  shell->send(kCtrlC);
  ASSERT_TRUE(ready(*shell));

  shell->send("events process\r");
  ASSERT_TRUE(shell->expect("Press Ctrl-C")) << shell->transcript();
  connection->call("programs.restart", {{"names", {"web"}}});
  ASSERT_TRUE(shell->expect("process.state web: STARTING -> RUNNING")) << shell->transcript();
  shell->send(kCtrlC);
  ASSERT_TRUE(ready(*shell));
  ASSERT_TRUE(run(*shell, "status web"));  // the shell is still usable
  EXPECT_NE(shell->last_match().find("RUNNING"), std::string::npos) << shell->transcript();
}

TEST_F(Shell, SurvivesTheDaemonGoingAwayAndComingBack) {
  auto shell = open_shell();
  ASSERT_TRUE(ready(*shell));
  ASSERT_TRUE(run(*shell, "status web"));  // the shell holds a live connection
  // Killed, not shut down: no goodbye, a stale socket file, and an orphaned child to clean up.
  pid_t orphan = static_cast<pid_t>(pid_of(*connection, "web"));
  daemon.stop(SIGKILL);
  ::kill(orphan, SIGKILL);
  // Noticed at the prompt, before any command.
  ASSERT_TRUE(shell->expect("went away")) << shell->transcript();
  ASSERT_TRUE(ready(*shell));  // redrawn below the notice
  ASSERT_TRUE(run(*shell, "status web"));
  EXPECT_NE(shell->last_match().find("cannot connect"), std::string::npos) << shell->transcript();
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  ASSERT_TRUE(run(*shell, "status web"));
  EXPECT_NE(shell->last_match().find("RUNNING"), std::string::npos) << shell->transcript();
  daemon.stop(SIGTERM);  // and once more, stopped cleanly this time
  ASSERT_TRUE(shell->expect("went away")) << shell->transcript();
  ASSERT_TRUE(ready(*shell));
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  ASSERT_TRUE(run(*shell, "version"));
  EXPECT_NE(shell->last_match().find("0.1.0"), std::string::npos) << shell->transcript();
  shell->send("quit\r");
  EXPECT_EQ(shell->wait_exit(), 0);
}

}  // namespace
}  // namespace taskd::test
