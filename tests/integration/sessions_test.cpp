// Agent sessions with the reference echo agent: the protocol end to end, warm switching with the
// same pids, refusals, agent death and recovery, resume from session.json, LRU reaping, crash
// safety of session.json, and isolation between sessions.
#include "tests/support/supervision_helpers.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <signal.h>
#include <sys/stat.h>

#include <random>
#include <thread>

namespace taskd::test {
namespace {
namespace json = boost::json;

std::string sessions_config(const std::string& extra = "", const std::string& agent_args = "") {
  std::string agent = "agent = [\"" + echo_agent_binary() + "\"" + agent_args + "]\n";
  return "[sessions]\n" + agent + "ready = \"line\"\n" + extra;
}

class Sessions : public ::testing::Test {
 protected:
  void SetUp() override { start(); }
  void start() {
    ASSERT_TRUE(daemon->start()) << daemon->startup_error();
    client = std::make_unique<RpcTestClient>(daemon->socket_path());
    client->call("events.subscribe", {{"topics", {"session"}}});
  }
  json::value call(const std::string& method, json::value params = nullptr) {
    return client->call(method, std::move(params), 20000);
  }
  json::value result(const std::string& method, json::value params = nullptr) {
    auto reply = call(method, std::move(params));
    EXPECT_TRUE(reply.as_object().contains("result")) << method << ": " << json::serialize(reply);
    return reply.as_object().contains("result") ? reply.at("result") : reply;
  }
  // The next session event of `type`, skipping others (kept for nobody).
  json::value event(const std::string& type, const std::string& id = "") {
    for (int i = 0; i < 1000; ++i) {
      auto next = client->next_event(10000);
      if (!next) break;
      const auto& p = next->at("params");
      if (p.at("type").as_string() == type && (id.empty() || p.at("id").as_string() == id))
        return p;
    }
    ADD_FAILURE() << "no " << type << " event";
    return nullptr;
  }
  void switch_to(const std::string& id) {
    EXPECT_EQ(result("session.switch", {{"id", id}}).at("status").as_string(), "switching");
    event("task_switch_started", id);
    event("task_ready", id);
  }
  // Prompts the active session; returns everything it printed during the turn.
  std::string prompt(const std::string& message) {
    result("session.prompt", {{"message", message}});
    std::string output;
    for (;;) {
      auto next = client->next_event(10000);
      if (!next) {
        ADD_FAILURE() << "turn did not end";
        return output;
      }
      const auto& p = next->at("params");
      if (p.at("type").as_string() == "agent_output")
        output += std::string(p.at("chunk").as_string());
      if (p.at("type").as_string() == "agent_end") return output;
    }
  }
  json::value state_of(const std::string& id) {
    json::value state = result("session.state");  // a range-for over a temporary's member dangles
    for (const auto& s : state.at("sessions").as_array()) {
      if (s.at("id").as_string() == id) return s;
    }
    return nullptr;
  }
  std::string session_file(const std::string& id) {
    return daemon->data_dir() + "/sessions/" + id + "/session.json";
  }

  std::unique_ptr<Daemon> daemon =
      std::make_unique<Daemon>(DaemonOptions{.config = sessions_config()});
  std::unique_ptr<RpcTestClient> client;
};

TEST_F(Sessions, OpenPromptOutputEndAndSessionJson) {
  auto opened =
      result("session.open", {{"id", "alpha"}, {"model", "m1"}, {"thinking_level", "high"}});
  EXPECT_EQ(opened.at("mode").as_string(), "created");
  EXPECT_EQ(opened.at("state").as_string(), "ready");
  // session.json exists as soon as the session does, before any turn.
  EXPECT_TRUE(parse_json(read_file(session_file("alpha"))).at("turns").as_array().empty());
  EXPECT_EQ(daemon->log().find("failed to save"), std::string::npos) << daemon->log();
  switch_to("alpha");
  EXPECT_EQ(prompt("hello"), "echo: hello\n");
  auto file = parse_json(read_file(session_file("alpha")));
  ASSERT_EQ(file.at("turns").as_array().size(), 1u);
  EXPECT_EQ(file.at("turns").at(0).at("prompt").as_string(), "hello");
  EXPECT_EQ(file.at("turns").at(0).at("output").as_string(), "echo: hello\n");
  EXPECT_EQ(file.at("turns").at(0).at("usage").at("turn").as_int64(), 1);
  EXPECT_EQ(file.at("model").as_string(), "m1");
  EXPECT_EQ(prompt("noise"), "echo: noise\nthis line is not JSON\n");  // forwarded, not a crash
  EXPECT_EQ(state_of("alpha").at("turns").as_int64(), 2);
}

TEST_F(Sessions, WarmSwitchingKeepsTheSamePids) {
  std::map<std::string, std::int64_t> pids;
  for (std::string id : {"a", "b", "c"})
    pids[id] = result("session.open", {{"id", id}}).at("pid").as_int64();
  for (std::string id : {"a", "b", "c", "a", "c", "b"}) {
    switch_to(id);
    EXPECT_EQ(state_of(id).at("state").as_string(), "active");
  }
  auto state = result("session.state");
  EXPECT_EQ(state.at("active").as_string(), "b");
  for (const auto& s : state.at("sessions").as_array()) {
    std::string id(s.at("id").as_string());
    EXPECT_EQ(s.at("pid").as_int64(), pids[id]) << id << " was restarted";
    EXPECT_EQ(s.at("state").as_string(), id == "b" ? "active" : "idle");
  }
}

TEST_F(Sessions, RequestsOutsideTheirStatesAreRefused) {
  auto no_active = call("session.prompt", {{"message", "hi"}});
  EXPECT_EQ(no_active.at("error").at("data").at("code").as_string(), "BAD_STATE");
  result("session.open", {{"id", "a"}});
  result("session.open", {{"id", "b"}});
  switch_to("a");
  auto wrong = call("session.prompt", {{"message", "hi"}, {"id", "b"}});
  EXPECT_EQ(wrong.at("error").at("data").at("code").as_string(), "BAD_STATE");
  EXPECT_EQ(wrong.at("error").at("data").at("state").as_string(), "ready");
  auto reopen = call("session.open", {{"id", "a"}});
  EXPECT_EQ(reopen.at("error").at("data").at("state").as_string(), "active");
  EXPECT_NE(std::string(reopen.at("error").at("message").as_string()).find("is active"),
            std::string::npos);
  EXPECT_EQ(call("session.switch", {{"id", "nope"}}).at("error").at("data").at("state").as_string(),
            "missing");
  EXPECT_EQ(call("session.stop", {{"id", "nope"}}).at("error").at("data").at("code").as_string(),
            "BAD_STATE");
  EXPECT_EQ(call("session.open", {{"id", "../etc"}}).at("error").at("code").as_int64(), -32602);
}

TEST_F(Sessions, DeadAgentIsNoticedAndOpenRecovers) {
  auto pid = result("session.open", {{"id", "a"}}).at("pid").as_int64();
  switch_to("a");
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  auto error = event("task_error", "a");
  EXPECT_EQ(error.at("code").as_string(), "PI_PROCESS_DEAD");
  EXPECT_EQ(state_of("a").at("state").as_string(), "errored");
  EXPECT_TRUE(result("session.state").at("active").is_null());
  auto reopened = result("session.open", {{"id", "a"}});
  EXPECT_EQ(reopened.at("mode").as_string(), "recovered");
  EXPECT_NE(reopened.at("pid").as_int64(), pid);
  switch_to("a");
  EXPECT_EQ(prompt("again"), "echo: again\n");
}

TEST_F(Sessions, AgentDyingMidTurn) {
  result("session.open", {{"id", "a"}});
  switch_to("a");
  result("session.prompt", {{"message", "crash"}});
  EXPECT_EQ(event("task_error", "a").at("code").as_string(), "PI_PROCESS_DEAD");
}

TEST_F(Sessions, StopThenOpenResumesWithMemory) {
  result("session.open", {{"id", "a"}});
  switch_to("a");
  prompt("first thing");
  EXPECT_EQ(result("session.stop", {{"id", "a"}}).at("state").as_string(), "stopped");
  EXPECT_EQ(event("task_stopped", "a").at("reason").as_string(), "requested");
  EXPECT_EQ(result("session.open", {{"id", "a"}}).at("mode").as_string(), "resumed");
  switch_to("a");
  EXPECT_EQ(prompt("recall"), "echo: recall\nremembered: first thing\nremembered: recall\n");
  EXPECT_EQ(state_of("a").at("turns").as_int64(), 2);
}

TEST_F(Sessions, ResumeAfterDaemonRestart) {
  result("session.open", {{"id", "a"}});
  switch_to("a");
  prompt("before restart");
  client.reset();
  EXPECT_EQ(daemon->stop(SIGTERM), 0);
  start();
  EXPECT_EQ(state_of("a").at("state").as_string(), "stopped");
  EXPECT_EQ(result("session.open", {{"id", "a"}}).at("mode").as_string(), "resumed");
  switch_to("a");
  EXPECT_NE(prompt("recall").find("remembered: before restart"), std::string::npos);
}

TEST_F(Sessions, SwitchToAStoppedSessionResumesItCold) {
  result("session.open", {{"id", "a"}});
  result("session.stop", {{"id", "a"}});
  event("task_stopped", "a");
  switch_to("a");
  EXPECT_EQ(state_of("a").at("state").as_string(), "active");
  EXPECT_GT(state_of("a").at("pid").as_int64(), 0);
}

TEST_F(Sessions, IsolationBetweenSessions) {
  result("session.open", {{"id", "a"}});
  result("session.open", {{"id", "b"}});
  switch_to("a");
  prompt("secret of a");
  switch_to("b");
  std::string recalled = prompt("recall");
  EXPECT_EQ(recalled.find("secret of a"), std::string::npos) << recalled;
  std::string who = prompt("whoami");
  EXPECT_NE(who.find("task b in " + daemon->data_dir() + "/sessions/b/work"), std::string::npos)
      << who;
  struct stat st {};
  ASSERT_EQ(::stat((daemon->data_dir() + "/sessions/a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(read_file(session_file("b")).find("secret of a"), std::string::npos);
  auto pgid_a = ::getpgid(static_cast<pid_t>(state_of("a").at("pid").as_int64()));
  auto pgid_b = ::getpgid(static_cast<pid_t>(state_of("b").at("pid").as_int64()));
  EXPECT_NE(pgid_a, pgid_b);
}

class SessionsWarmCap : public Sessions {
 protected:
  SessionsWarmCap() {
    daemon = std::make_unique<Daemon>(DaemonOptions{.config = sessions_config("max_warm = 2\n")});
  }
};

TEST_F(SessionsWarmCap, ThirdWarmSessionReapsTheLeastRecentlyUsedIdleOne) {
  result("session.open", {{"id", "a"}});
  result("session.open", {{"id", "b"}});
  switch_to("a");
  switch_to("b");  // a is idle now, and the least recently used
  result("session.open", {{"id", "c"}});
  EXPECT_EQ(event("task_stopped", "a").at("reason").as_string(), "reaped");
  EXPECT_EQ(state_of("a").at("state").as_string(), "stopped");
  EXPECT_EQ(state_of("b").at("state").as_string(), "active");  // never the active one
  EXPECT_EQ(result("session.state").at("warm").as_int64(), 2);
  switch_to("a");  // resumes cold, reaping c (ready, least recently used)
  EXPECT_EQ(state_of("a").at("state").as_string(), "active");
  EXPECT_EQ(state_of("c").at("state").as_string(), "stopped");
}

class SessionsSlowAgent : public Sessions {
 protected:
  SessionsSlowAgent() {
    daemon = std::make_unique<Daemon>(
        DaemonOptions{.config = sessions_config("switch_timeout = 0.3\n")});
  }
};

TEST_F(SessionsSlowAgent, SwitchTimeoutLeavesAConsistentState) {
  result("session.open", {{"id", "fast"}});
  switch_to("fast");
  std::vector<std::string> slow_agent = {echo_agent_binary(), "--ready-delay-ms", "5000"};
  json::array agent;
  for (const auto& word : slow_agent) agent.emplace_back(word);
  auto opened = call("session.open", {{"id", "slow"}, {"agent", agent}});
  EXPECT_EQ(opened.at("error").at("data").at("code").as_string(), "TIMEOUT");
  EXPECT_EQ(state_of("slow").at("state").as_string(), "errored");
  auto reopened = call("session.open", {{"id", "slow"}});  // errored → open is allowed again
  EXPECT_EQ(reopened.at("error").at("data").at("code").as_string(), "TIMEOUT");
  result("session.stop", {{"id", "slow"}});
  event("task_stopped", "slow");
  EXPECT_EQ(result("session.switch", {{"id", "slow"}}).at("status").as_string(), "switching");
  auto error = event("task_error", "slow");
  EXPECT_EQ(error.at("code").as_string(), "SWITCH_TIMEOUT");
  EXPECT_EQ(result("session.state").at("active").as_string(), "fast");  // unchanged
  EXPECT_EQ(state_of("slow").at("state").as_string(), "errored");
  EXPECT_EQ(prompt("still here"), "echo: still here\n");
}

TEST_F(Sessions, TaskctlSessionCommands) {
  EXPECT_TRUE(daemon->taskctl({"session", "open", "cli", "--model", "m"})
                  .out.starts_with("cli: created (ready, pid "));
  EXPECT_EQ(daemon->taskctl({"session", "switch", "cli"}).out, "cli: active\n");
  auto prompted = daemon->taskctl({"session", "prompt", "hello", "world"});
  EXPECT_EQ(prompted.exit_code, 0) << prompted.err;
  EXPECT_EQ(prompted.out, "echo: hello world\n");
  EXPECT_NE(daemon->taskctl({"session", "state"}).out.find("active: cli"), std::string::npos);
  EXPECT_EQ(daemon->taskctl({"session", "stop", "cli"}).out, "cli: stopped\n");
  auto refused = daemon->taskctl({"session", "prompt", "nobody listens"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("BAD_STATE"), std::string::npos);
  EXPECT_EQ(daemon->taskctl({"session", "frob"}).exit_code, 2);
}

TEST(SessionDurability, KillingTheDaemonMidWriteNeverTearsSessionJson) {
  Daemon daemon({.config = sessions_config()});
  std::mt19937 random(7);
  for (int round = 0; round < 15; ++round) {
    ASSERT_TRUE(daemon.start()) << daemon.startup_error();
    RpcTestClient client(daemon.socket_path());
    auto opened = client.call("session.open", {{"id", "d"}});
    ASSERT_TRUE(opened.as_object().contains("result")) << json::serialize(opened);
    client.call("session.switch", {{"id", "d"}});
    ASSERT_TRUE(wait_until(
        [&] { return client.call("session.state").at("result").at("active").is_string(); }));
    // Keep the agent writing turns (each end rewrites session.json) and kill at a random moment.
    std::string big(20000, 'x');
    for (int i = 0; i < 30; ++i)
      client.send_line(json::serialize(json::object{{"jsonrpc", "2.0"},
                                                    {"id", 100 + i},
                                                    {"method", "session.prompt"},
                                                    {"params", {{"message", big}}}}));
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 20));
    auto agents = descendants_of(daemon.pid());
    daemon.stop(SIGKILL);
    for (pid_t agent : agents) ::kill(agent, SIGKILL);  // orphaned by the crash; only ours
    std::string text = read_file(daemon.data_dir() + "/sessions/d/session.json");
    boost::system::error_code ec;
    auto parsed = json::parse(text, ec);
    ASSERT_FALSE(ec) << "torn session.json in round " << round << ": " << text.size() << " bytes";
    EXPECT_EQ(parsed.at("id").as_string(), "d");
  }
}

}  // namespace
}  // namespace taskd::test
