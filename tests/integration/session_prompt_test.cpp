// session.prompt as a trainer uses it (issue 14): the prompting connection gets its turn's
// agent_output and agent_end after the `sent` reply without subscribing (subscribers still get
// them, a subscribed prompter gets each once), and a prompt after the active agent died says
// PI_PROCESS_DEAD with the exit reason.
#include "tests/support/daemon_harness.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <signal.h>

namespace taskd::test {
namespace {
namespace json = boost::json;

class SessionPrompt : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon.start()) << daemon.startup_error();
    caller = std::make_unique<RpcTestClient>(daemon.socket_path());
    watcher = std::make_unique<RpcTestClient>(daemon.socket_path());
    watcher->call("events.subscribe", {{"topics", {"session"}}});
  }
  json::value result(RpcTestClient& client, const std::string& method, json::value params) {
    auto reply = client.call(method, std::move(params), 20000);
    EXPECT_TRUE(reply.as_object().contains("result")) << method << ": " << json::serialize(reply);
    return reply.as_object().contains("result") ? reply.at("result") : reply;
  }
  // Opens `id` and makes it active, from a connection that did not subscribe.
  void open_active(const std::string& id) {
    result(*caller, "session.open", {{"id", id}});
    switch_and_wait(id);
  }
  void switch_and_wait(const std::string& id) {
    result(*caller, "session.switch", {{"id", id}});
    ASSERT_TRUE(wait_until([&] {
      auto state = result(*caller, "session.state", json::object{});
      return state.at("active").is_string() && state.at("active").as_string() == id;
    }));
  }
  // The next line on `client`, parsed.
  json::value next(RpcTestClient& client) {
    auto line = client.read_line(10000);
    if (!line) return nullptr;
    return json::parse(*line);
  }
  std::string type_of(const json::value& message) {
    if (!message.is_object() || !message.as_object().contains("params")) return "";
    return std::string(message.at("params").at("type").as_string());
  }
  // Events of `type` for session `id` on the watcher, skipping others.
  json::value watcher_event(const std::string& type) {
    for (int i = 0; i < 100; ++i) {
      auto event = watcher->next_event(10000);
      if (!event) break;
      if (type_of(*event) == type) return event->at("params");
    }
    ADD_FAILURE() << "no " << type << " event";
    return nullptr;
  }

  Daemon daemon{DaemonOptions{.config = "[sessions]\nagent = [\"" + echo_agent_binary() +
                                        "\"]\nready = \"line\"\n"}};
  std::unique_ptr<RpcTestClient> caller;   // never subscribes
  std::unique_ptr<RpcTestClient> watcher;  // subscribed to `session`
};

TEST_F(SessionPrompt, ThePrompterGetsItsTurnWithoutSubscribing) {
  open_active("a");
  ASSERT_TRUE(caller->send_line(
      R"({"jsonrpc":"2.0","id":"p1","method":"session.prompt","params":{"message":"hello"}})"));
  auto reply = next(*caller);  // the reply first, then the turn
  ASSERT_TRUE(reply.is_object()) << "no reply";
  EXPECT_EQ(reply.at("id").as_string(), "p1");
  EXPECT_EQ(reply.at("result").at("status").as_string(), "sent");
  auto output = next(*caller);
  ASSERT_EQ(type_of(output), "agent_output") << json::serialize(output);
  EXPECT_EQ(output.at("params").at("chunk").as_string(), "echo: hello\n");
  EXPECT_EQ(output.at("params").at("turn").as_int64(), 1);
  auto end = next(*caller);
  ASSERT_EQ(type_of(end), "agent_end") << json::serialize(end);
  EXPECT_EQ(end.at("params").at("id").as_string(), "a");
  // Subscribers still get the same events (same seq).
  EXPECT_EQ(watcher_event("agent_output").at("seq"), output.at("params").at("seq"));
  EXPECT_EQ(watcher_event("agent_end").at("seq"), end.at("params").at("seq"));
}

TEST_F(SessionPrompt, ASubscribedPrompterGetsEachEventOnce) {
  open_active("a");
  ASSERT_TRUE(watcher->send_line(
      R"({"jsonrpc":"2.0","id":"p2","method":"session.prompt","params":{"message":"hi"}})"));
  std::vector<std::string> seen;
  for (;;) {
    auto message = next(*watcher);
    ASSERT_TRUE(message.is_object()) << "the turn did not end";
    if (message.as_object().contains("id")) continue;  // the reply
    std::string type = type_of(message);
    if (type == "agent_output" || type == "agent_end") seen.push_back(type);
    if (type == "agent_end") break;
  }
  // Had anything been sent twice, it would be queued before this reply.
  ASSERT_TRUE(watcher->send_line(R"({"jsonrpc":"2.0","id":"h","method":"daemon.health"})"));
  auto after = next(*watcher);
  EXPECT_EQ(after.at("id").as_string(), "h") << json::serialize(after);
  EXPECT_EQ(seen, (std::vector<std::string>{"agent_output", "agent_end"}));
}

TEST_F(SessionPrompt, ThePrompterHearsWhenTheAgentDiesMidTurn) {
  open_active("a");
  ASSERT_TRUE(caller->send_line(
      R"({"jsonrpc":"2.0","id":"p3","method":"session.prompt","params":{"message":"crash"}})"));
  EXPECT_EQ(next(*caller).at("result").at("status").as_string(), "sent");
  for (;;) {
    auto message = next(*caller);
    ASSERT_TRUE(message.is_object()) << "no task_error for the prompter";
    if (type_of(message) != "task_error") continue;
    EXPECT_EQ(message.at("params").at("code").as_string(), "PI_PROCESS_DEAD");
    break;
  }
}

TEST_F(SessionPrompt, PromptAfterTheAgentDiedSaysPiProcessDeadWithTheReason) {
  open_active("a");
  auto pid = result(*caller, "session.state", json::object{}).at("sessions").at(0).at("pid");
  ::kill(static_cast<pid_t>(pid.as_int64()), SIGKILL);
  watcher_event("task_error");
  std::vector<json::object> prompts = {{{"message", "hi"}}, {{"message", "hi"}, {"id", "a"}}};
  for (const json::object& params : prompts) {
    auto reply = caller->call("session.prompt", params, 20000);
    ASSERT_TRUE(reply.as_object().contains("error")) << json::serialize(reply);
    EXPECT_EQ(reply.at("error").at("data").at("code").as_string(), "PI_PROCESS_DEAD");
    EXPECT_EQ(reply.at("error").at("code").as_int64(), -32007);
    std::string message(reply.at("error").at("message").as_string());
    EXPECT_NE(message.find("agent died: "), std::string::npos) << message;
    EXPECT_NE(message.find("SIGKILL"), std::string::npos) << message;
  }
  // Recovered and active again: prompts work.
  EXPECT_EQ(result(*caller, "session.open", {{"id", "a"}}).at("mode").as_string(), "recovered");
  switch_and_wait("a");
  auto sent = result(*caller, "session.prompt", {{"message", "hi"}});
  EXPECT_EQ(sent.at("status").as_string(), "sent");
}

}  // namespace
}  // namespace taskd::test
