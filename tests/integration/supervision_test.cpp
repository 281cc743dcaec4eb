// Each program field taking effect on a real child, and the state machine on real processes.
#include "tests/support/supervision_helpers.h"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include <signal.h>
#include <sys/stat.h>

namespace taskd::test {
namespace {
namespace json = boost::json;

std::string log_of(const Daemon& daemon, const std::string& file) {
  return read_file(daemon.dir() + "/" + file);
}

TEST(Supervision, EnvCwdUmaskAndOutputFile) {
  Daemon daemon({.config = "[programs.probe]\n" +
                           fake_cmd({"--env", "ANSWER", "--env", "TASKD_PROCESS_NAME", "--cwd",
                                     "--umask", "--wait"}) +
                           "env = { ANSWER = 42 }\nworkingdir = \"/tmp\"\numask = \"027\"\n"
                           "stdout = \"probe.out\"\nstarttime = 0\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  EXPECT_TRUE(wait_until([&] {
    return log_of(daemon, "probe.out") == "ANSWER=42\nTASKD_PROCESS_NAME=probe\n/tmp\n027\n";
  })) << log_of(daemon, "probe.out");
}

TEST(Supervision, DiscardMergeAndSeparateStderr) {
  Daemon daemon({.config = "[programs.merged]\n" +
                           fake_cmd({"--out", "o1", "--err", "e1", "--wait"}) +
                           "stdout = \"merged.out\"\nstderr = \"stdout\"\nstarttime = 0\n"
                           "[programs.split]\n" +
                           fake_cmd({"--out", "o2", "--err", "e2", "--wait"}) +
                           "stdout = \"split.out\"\nstderr = \"split.err\"\nstarttime = 0\n"
                           "[programs.quiet]\n" +
                           fake_cmd({"--out", "o3", "--err", "e3", "--wait"}) +
                           "stdout = \"discard\"\nstderr = \"discard\"\nstarttime = 0\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  EXPECT_TRUE(wait_until([&] { return log_of(daemon, "merged.out") == "o1\ne1\n"; }))
      << log_of(daemon, "merged.out");
  EXPECT_TRUE(wait_until([&] {
    return log_of(daemon, "split.out") == "o2\n" && log_of(daemon, "split.err") == "e2\n";
  }));
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(wait_for_state(client, "quiet", "RUNNING"));
  EXPECT_FALSE(path_exists(daemon.data_dir() + "/logs/quiet.stdout.log"));
  EXPECT_EQ(process_status(client, "quiet").at("stdout_log").as_string(), "");
}

TEST(Supervision, NumprocsEightGivesEightLivePids) {
  Daemon daemon(
      {.config = "[programs.w]\n" + fake_cmd({"--wait"}) + "numprocs = 8\nstarttime = 0\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  std::set<std::int64_t> pids;
  ASSERT_TRUE(wait_until([&] {
    auto reply = client.call("programs.status");
    pids.clear();
    for (const auto& p : reply.at("result").at("processes").as_array()) {
      if (p.at("state").as_string() == "RUNNING") pids.insert(p.at("pid").as_int64());
    }
    return pids.size() == 8;
  }));
  for (auto pid : pids) EXPECT_TRUE(process_alive(static_cast<pid_t>(pid))) << pid;
  EXPECT_EQ(state_of(client, "w:w_07"), "RUNNING");
}

TEST(Supervision, UserDropWhenRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  Daemon daemon({.config = "[programs.low]\n" + fake_cmd({"--ids", "--wait"}) +
                           "user = \"nobody\"\nstdout = \"low.out\"\nstarttime = 0\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  EXPECT_TRUE(wait_until([&] { return log_of(daemon, "low.out").starts_with("65534 65534 "); }))
      << log_of(daemon, "low.out");
}

TEST(Supervision, UnknownUserIsAConfigError) {
  Daemon daemon({.config = "[programs.x]\ncmd = \"/bin/true\"\nuser = \"no-such-user-xyz\"\n"});
  EXPECT_FALSE(daemon.start());
  EXPECT_NE(daemon.startup_error().find("taskd.toml:4: programs.x.user: no such user"),
            std::string::npos)
      << daemon.startup_error();
}

TEST(Supervision, CleanRunGoesStartingThenRunning) {
  Daemon daemon({.config = "[programs.ok]\n" + fake_cmd({"--wait"}) +
                           "starttime = 0.3\nautostart = false\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient watcher(daemon.socket_path());
  watcher.call("events.subscribe", {{"topics", {"process"}}});
  RpcTestClient client(daemon.socket_path());
  EXPECT_EQ(state_of(client, "ok"), "STOPPED");
  auto reply = client.call("programs.start", {{"names", {"ok"}}});
  EXPECT_TRUE(reply.at("result").at("results").at(0).at("ok").as_bool()) << json::serialize(reply);
  EXPECT_EQ(reply.at("result").at("results").at(0).at("state").as_string(), "RUNNING");
  std::vector<std::string> transitions;
  while (transitions.size() < 2) {
    auto event = watcher.next_event();
    ASSERT_TRUE(event);
    transitions.push_back(std::string(event->at("params").at("to").as_string()));
  }
  EXPECT_EQ(transitions, (std::vector<std::string>{"STARTING", "RUNNING"}));
}

TEST(Supervision, EarlyExitsBackoffThenFatal) {
  Daemon daemon({.config = "[programs.crash]\n" + fake_cmd({"--exit", "1"}) +
                           "startretries = 2\nstarttime = 5\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  // Backoff 1 s then 2 s: FATAL after about three seconds, with three spawns.
  ASSERT_TRUE(wait_for_state(client, "crash", "FATAL", std::chrono::seconds(10)));
  auto status = process_status(client, "crash");
  EXPECT_EQ(status.at("description").as_string(),
            "Exited too quickly (process log may have details)");
  EXPECT_EQ(status.at("backoff").as_int64(), 3);
  auto log = daemon.log();
  std::size_t spawns = 0;
  for (std::size_t at = log.find("spawned: 'crash'"); at != std::string::npos;
       at = log.find("spawned: 'crash'", at + 1))
    ++spawns;
  EXPECT_EQ(spawns, 3u);
  EXPECT_NE(log.find("gave up: crash entered FATAL state"), std::string::npos);
}

TEST(Supervision, MissingBinaryEndsFatalWithMessage) {
  Daemon daemon(
      {.config = "[programs.ghost]\ncmd = \"/nonexistent/ghost --flag\"\nstartretries = 0\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(wait_for_state(client, "ghost", "FATAL"));
  EXPECT_EQ(process_status(client, "ghost").at("spawn_error").as_string(),
            "cannot execute '/nonexistent/ghost': No such file or directory");
  auto start = daemon.taskctl({"start", "ghost"});
  EXPECT_EQ(start.exit_code, 1);
  EXPECT_EQ(start.out,
            "ghost: ERROR (spawn error: cannot execute '/nonexistent/ghost': No such file or "
            "directory)\n");
}

TEST(Supervision, AutorestartUnexpectedVersusExitcodes) {
  Daemon daemon({.config = "[programs.expected]\n" + fake_cmd({"--sleep", "100", "--exit", "2"}) +
                           "exitcodes = [0, 2]\nstarttime = 0\n"
                           "[programs.unexpected]\n" +
                           fake_cmd({"--sleep", "100", "--exit", "3"}) +
                           "exitcodes = [0, 2]\nstarttime = 0\nstdout = \"u.out\"\n"
                           "[programs.never]\n" +
                           fake_cmd({"--sleep", "100", "--exit", "3"}) +
                           "autorestart = \"never\"\nstarttime = 0\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(wait_for_state(client, "expected", "EXITED"));
  ASSERT_TRUE(wait_for_state(client, "never", "EXITED"));
  EXPECT_EQ(process_status(client, "expected").at("exit_code").as_int64(), 2);
  // The unexpected one keeps being restarted: it is seen with several different pids.
  std::set<std::int64_t> pids;
  EXPECT_TRUE(wait_until([&] {
    auto pid = pid_of(client, "unexpected");
    if (pid > 0) pids.insert(pid);
    return pids.size() >= 3;
  }));
}

TEST(Supervision, CustomStopSignalIsObservedByTheChild) {
  Daemon daemon(
      {.config = "[programs.trap]\n" +
                 fake_cmd({"--trap", "USR1", "--ignore", "TERM", "--out", "ready", "--wait"}) +
                 "stopsignal = \"USR1\"\nstarttime = 0\nstdout = \"trap.out\"\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(wait_until([&] { return log_of(daemon, "trap.out") == "ready\n"; }));  // handlers set
  auto reply = client.call("programs.stop", {{"names", {"trap"}}});
  EXPECT_TRUE(reply.at("result").at("results").at(0).at("ok").as_bool());
  EXPECT_EQ(state_of(client, "trap"), "STOPPED");
  EXPECT_EQ(log_of(daemon, "trap.out"), "ready\ntrapped " + std::to_string(SIGUSR1) + "\n");
  EXPECT_EQ(process_status(client, "trap").at("exit_code").as_int64(), 0);
}

TEST(Supervision, ChildIgnoringTermIsKilledAfterStoptime) {
  Daemon daemon({.config = "[programs.stubborn]\n" +
                           fake_cmd({"--ignore", "TERM", "--out", "ready", "--wait"}) +
                           "stoptime = 0.3\nstarttime = 0\nstdout = \"s.out\"\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(wait_until([&] { return log_of(daemon, "s.out") == "ready\n"; }));
  auto pid = pid_of(client, "stubborn");
  auto started = std::chrono::steady_clock::now();
  auto reply = client.call("programs.stop", {{"names", {"stubborn"}}});
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(reply.at("result").at("results").at(0).at("ok").as_bool());
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_EQ(process_status(client, "stubborn").at("exit_signal").as_int64(), SIGKILL);
  EXPECT_FALSE(process_alive(static_cast<pid_t>(pid)));
  EXPECT_NE(daemon.log().find("killing stubborn"), std::string::npos);
}

TEST(Supervision, DoubleForkedOrphanIsReaped) {
  Daemon daemon({.config = "[programs.forker]\n" + fake_cmd({"--orphan", "200", "--exit", "0"}) +
                           "autorestart = \"never\"\nstarttime = 0\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient watcher(daemon.socket_path());
  watcher.call("events.subscribe", {{"topics", {"process"}}});
  ASSERT_TRUE(wait_until([&] { return daemon.log().find("orphan reaped") != std::string::npos; }))
      << daemon.log();
  // No zombie is left among the daemon's children.
  std::string children = read_file("/proc/" + std::to_string(daemon.pid()) + "/task/" +
                                   std::to_string(daemon.pid()) + "/children");
  for (std::size_t at = 0; at < children.size();) {
    auto end = children.find(' ', at);
    pid_t child = std::stoi(children.substr(at, end - at));
    EXPECT_TRUE(process_alive(child)) << "zombie " << child;
    at = end == std::string::npos ? children.size() : end + 1;
  }
}

TEST(Supervision, SignalAndTail) {
  Daemon daemon({.config = "[programs.t]\n" +
                           fake_cmd({"--trap", "HUP", "--out", "line one", "--wait"}) +
                           "starttime = 0\nautorestart = \"never\"\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(wait_until([&] {
    return client.call("programs.tail", {{"name", "t"}}).at("result").at("data").as_string() ==
           "line one\n";
  }));
  auto sent = daemon.taskctl({"signal", "HUP", "t"});
  EXPECT_EQ(sent.out, "t: signalled\n");
  ASSERT_TRUE(wait_for_state(client, "t", "EXITED"));
  auto tail = client.call("programs.tail", {{"name", "t"}});
  EXPECT_EQ(tail.at("result").at("data").as_string(), "line one\ntrapped 1\n");
  auto text = daemon.taskctl({"tail", "t"});
  EXPECT_EQ(text.out, "line one\ntrapped 1\n");
  EXPECT_EQ(client.call("programs.tail", {{"name", "t"}, {"stream", "stdin"}})
                .at("error")
                .at("code")
                .as_int64(),
            -32602);
  EXPECT_EQ(client.call("programs.tail", {{"name", "nope"}})
                .at("error")
                .at("data")
                .at("code")
                .as_string(),
            "NOT_FOUND");
}

TEST(Supervision, OutputFloodDoesNotStarveRpcAndIsNotLost) {
  constexpr long long kBytes = 64LL * 1024 * 1024;
  Daemon daemon({.config = "[programs.flood]\n" +
                           fake_cmd({"--spew", std::to_string(kBytes), "--wait"}) +
                           "starttime = 0\nstdout_maxbytes = 0\nstdout = \"flood.out\"\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  // Requests keep being answered while the flood is still being written: a daemon that drained
  // the pipe before serving its clients would answer once, after the whole 64 MiB. Counted in
  // answers, not milliseconds, so a slow (sanitized, loaded) machine cannot fail it.
  int answered_during_flood = 0;
  while (static_cast<long long>(file_size(daemon.dir() + "/flood.out")) < kBytes &&
         answered_during_flood < 100000) {
    ASSERT_TRUE(client.call("daemon.health").as_object().contains("result"));
    ++answered_during_flood;
  }
  EXPECT_TRUE(wait_until(
      [&] { return static_cast<long long>(file_size(daemon.dir() + "/flood.out")) == kBytes; }));
  EXPECT_GE(answered_during_flood, 10) << "requests waited behind the flood";
}

}  // namespace
}  // namespace taskd::test
