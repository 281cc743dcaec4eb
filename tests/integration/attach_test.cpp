// programs.input on the wire, and taskctl attach (piped and in the shell on a terminal) against a
// program configured with stdin = "pipe".
#include "tests/support/pty_session.h"
#include "tests/support/supervision_helpers.h"

#include <gtest/gtest.h>

namespace taskd::test {
namespace {

class Attach : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon.start()) << daemon.startup_error();
    connection = std::make_unique<RpcTestClient>(daemon.socket_path());
    ASSERT_TRUE(wait_for_state(*connection, "echo", "RUNNING"));
    ASSERT_TRUE(wait_for_state(*connection, "web", "RUNNING"));
  }

  std::string echo_output() {
    auto reply = connection->call("programs.tail", {{"name", "echo"}, {"offset", 0}});
    return std::string(reply.at("result").at("data").as_string());
  }

  Daemon daemon{{.config = "[programs.echo]\n" + fake_cmd({"--echo-stdin", "--wait"}) +
                           "stdin = \"pipe\"\nstarttime = 0\n[programs.web]\n" +
                           fake_cmd({"--out", "hello", "--wait"}) + "starttime = 0\n" +
                           "[programs.quiet]\n" + fake_cmd({"--wait"}) +
                           "stdin = \"pipe\"\nstarttime = 0\nautostart = false\n"}};
  std::unique_ptr<RpcTestClient> connection;
};

TEST_F(Attach, InputMethodWritesToThePipe) {
  auto written = connection->call("programs.input", {{"name", "echo"}, {"data", "one\n"}});
  EXPECT_EQ(written.at("result").at("written").as_int64(), 4) << written;
  EXPECT_TRUE(wait_until([&] { return echo_output() == "one\n"; })) << echo_output();

  auto no_pipe = connection->call("programs.input", {{"name", "web"}, {"data", "x"}});
  EXPECT_EQ(no_pipe.at("error").at("data").at("code").as_string(), "BAD_STATE") << no_pipe;
  auto unknown = connection->call("programs.input", {{"name", "nope"}, {"data", "x"}});
  EXPECT_EQ(unknown.at("error").at("data").at("code").as_string(), "NOT_FOUND");
  auto missing = connection->call("programs.input", {{"name", "echo"}});
  EXPECT_EQ(missing.at("error").at("code").as_int64(), -32602);
  auto typo = connection->call("programs.input", {{"name", "echo"}, {"data", ""}, {"eol", 1}});
  EXPECT_EQ(typo.at("error").at("code").as_int64(), -32602);

  // eof closes the pipe: fake_child --echo-stdin sees end of file and goes on to --wait.
  auto last =
      connection->call("programs.input", {{"name", "echo"}, {"data", "two\n"}, {"eof", true}});
  EXPECT_EQ(last.at("result").at("written").as_int64(), 4);
  EXPECT_TRUE(wait_until([&] { return echo_output() == "one\ntwo\n"; }));
  auto closed = connection->call("programs.input", {{"name", "echo"}, {"data", "x"}});
  EXPECT_EQ(closed.at("error").at("data").at("code").as_string(), "BAD_STATE");
  EXPECT_EQ(state_of(*connection, "echo"), "RUNNING");

  connection->call("programs.stop", {{"names", {"echo"}}});
  auto stopped = connection->call("programs.input", {{"name", "echo"}, {"data", "x"}});
  EXPECT_EQ(stopped.at("error").at("data").at("code").as_string(), "BAD_STATE");
}

TEST_F(Attach, AFullPipeTakesWhatFitsAndNeverBlocksTheDaemon) {
  // "quiet" never reads its stdin: the pipe fills up, the rest is refused, nothing waits.
  ASSERT_EQ(connection->call("programs.start", {{"names", {"quiet"}}})
                .at("result")
                .at("results")
                .at(0)
                .at("ok")
                .as_bool(),
            true);
  std::string big(300 * 1024, 'x');
  auto first = connection->call("programs.input", {{"name", "quiet"}, {"data", big}});
  std::int64_t taken = first.at("result").at("written").as_int64();
  EXPECT_GT(taken, 0);
  EXPECT_LT(taken, static_cast<std::int64_t>(big.size()));
  auto more = connection->call("programs.input", {{"name", "quiet"}, {"data", big}});
  EXPECT_EQ(more.at("result").at("written").as_int64(), 0);
  EXPECT_EQ(state_of(*connection, "web"), "RUNNING");  // the daemon still answers
}

TEST_F(Attach, PipedLinesReachTheProgramThenTaskctlDetaches) {
  auto attached = daemon.taskctl({"attach", "echo"}, "alpha\nbeta\n");
  EXPECT_EQ(attached.exit_code, 0) << attached.err;
  EXPECT_NE(attached.err.find("==> attached to echo"), std::string::npos) << attached.err;
  EXPECT_NE(attached.err.find("==> detached from echo"), std::string::npos) << attached.err;
  EXPECT_TRUE(wait_until([&] { return echo_output() == "alpha\nbeta\n"; })) << echo_output();
  EXPECT_EQ(state_of(*connection, "echo"), "RUNNING");

  // In a script, the lines after attach are its input.
  auto script = daemon.taskctl({}, "attach echo\ngamma\n");
  EXPECT_EQ(script.exit_code, 0) << script.err;
  EXPECT_TRUE(wait_until([&] { return echo_output() == "alpha\nbeta\ngamma\n"; }));

  auto output_only = daemon.taskctl({"attach", "web"}, "ignored\n");
  EXPECT_EQ(output_only.exit_code, 0);
  EXPECT_NE(output_only.err.find("output only (stdin is not a pipe"), std::string::npos)
      << output_only.err;
  EXPECT_NE(output_only.out.find("hello"), std::string::npos);  // the backlog of its stdout

  auto unknown = daemon.taskctl({"attach", "nope"});
  EXPECT_EQ(unknown.exit_code, 4);
  EXPECT_EQ(unknown.out, "nope: ERROR (no such process)\n");
}

TEST_F(Attach, InTheShellCtrlCDetachesAndTheProgramKeepsRunning) {
  TempDir home;
  PtySession shell({taskctl_binary(), "-s", daemon.socket_path()},
                   {{"HOME", home.path()}, {"TERM", "xterm"}});
  std::string prompt = "taskd@unix:" + daemon.socket_path() + "> ";
  ASSERT_TRUE(shell.expect(prompt) && shell.wait_for_raw_mode()) << shell.transcript();
  shell.send("attach echo\r");
  ASSERT_TRUE(shell.expect("==> attached to echo")) << shell.transcript();
  shell.send("ping\r");
  EXPECT_TRUE(wait_until([&] { return echo_output() == "ping\n"; })) << shell.transcript();
  ASSERT_TRUE(shell.expect("ping")) << shell.transcript();  // the echo of the typed line
  ASSERT_TRUE(shell.expect("ping")) << shell.transcript();  // the program's output, followed
  shell.send("\x03");
  ASSERT_TRUE(shell.expect("==> detached from echo")) << shell.transcript();
  ASSERT_TRUE(shell.expect(prompt) && shell.wait_for_raw_mode()) << shell.transcript();
  EXPECT_EQ(state_of(*connection, "echo"), "RUNNING");
}

}  // namespace
}  // namespace taskd::test
