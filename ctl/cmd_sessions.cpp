// session open|switch|prompt|state|stop: agent sessions (docs/agents.md). `prompt` prints the
// agent's output live and returns when the turn ends.
#include "ctl/commands.h"
#include "ctl/completion.h"
#include "ctl/exit_codes.h"
#include "ctl/interrupt.h"
#include "ctl/render.h"
#include "proto/methods.h"

namespace taskd::ctl {
namespace json = boost::json;
namespace {

const Command& self() { return *find_command("session"); }

void print_state_line(Invocation& invocation, const json::value& s, std::size_t width) {
  std::fprintf(invocation.out, "%-*s %-8s pid %-7lld turns %-4lld %s%s\n", static_cast<int>(width),
               string_field(s, "id").c_str(), string_field(s, "state").c_str(),
               static_cast<long long>(int_field(s, "pid")),
               static_cast<long long>(int_field(s, "turns")),
               string_field(s, "last_activity").c_str(),
               string_field(s, "error").empty() ? "" : ("  " + string_field(s, "error")).c_str());
}

int session_open(Invocation& invocation, const Args& args) {
  if (args.empty())
    return usage_error(invocation, self(),
                       "session open ID [--model M] [--thinking L] [--folder DIR]");
  json::object params{{"id", args[0]}};
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (i + 1 >= args.size()) return usage_error(invocation, self(), args[i] + " needs a value");
    const std::string& flag = args[i];
    const std::string& value = args[++i];
    if (flag == "--model")
      params["model"] = value;
    else if (flag == "--thinking")
      params["thinking_level"] = value;
    else if (flag == "--folder")
      params["working_folder"] = value;
    else
      return usage_error(invocation, self(), "unknown option " + flag);
  }
  return call_and_print(
      invocation, proto::method::kSessionOpen, std::move(params), [&](const json::value& r) {
        std::fprintf(invocation.out, "%s: %s (%s, pid %lld)\n", string_field(r, "id").c_str(),
                     string_field(r, "mode").c_str(), string_field(r, "state").c_str(),
                     static_cast<long long>(int_field(r, "pid")));
        return kExitOk;
      });
}

// Switches and waits for task_ready (or task_error) on the same connection.
int session_switch(Invocation& invocation, const Args& args) {
  if (args.size() != 1) return usage_error(invocation, self(), "session switch ID");
  auto subscribed =
      invocation.client.call(proto::method::kEventsSubscribe,
                             json::object{{"topics", json::array{proto::topic::kSession}}});
  if (!subscribed) return report_failure(invocation, subscribed.error());
  auto reply = invocation.client.call(proto::method::kSessionSwitch, json::object{{"id", args[0]}});
  if (!reply) return report_failure(invocation, reply.error());
  InterruptScope scope;
  while (!interrupted()) {
    auto message = invocation.client.read_message(-1);
    if (!message) return report_failure(invocation, message.error());
    const auto* params = message->as_object().if_contains("params");
    if (!params || string_field(*params, "id") != args[0]) continue;
    std::string type = string_field(*params, "type");
    if (type == "task_ready") {
      if (invocation.json)
        std::fprintf(invocation.out, "%s\n", to_json_line(*params).c_str());
      else
        std::fprintf(invocation.out, "%s: active\n", args[0].c_str());
      return kExitOk;
    }
    if (type == "task_error") {
      if (invocation.json) std::fprintf(invocation.out, "%s\n", to_json_line(*params).c_str());
      std::fprintf(invocation.err, "error: %s (%s)\n", string_field(*params, "message").c_str(),
                   string_field(*params, "code").c_str());
      return kExitError;
    }
  }
  return kExitError;
}

// Sends the prompt and prints agent_output chunks until agent_end (or the agent dies).
int session_prompt(Invocation& invocation, const Args& args) {
  if (args.empty()) return usage_error(invocation, self(), "session prompt MESSAGE...");
  std::string message;
  for (const auto& word : args) message += (message.empty() ? "" : " ") + word;
  auto subscribed =
      invocation.client.call(proto::method::kEventsSubscribe,
                             json::object{{"topics", json::array{proto::topic::kSession}}});
  if (!subscribed) return report_failure(invocation, subscribed.error());
  auto sent =
      invocation.client.call(proto::method::kSessionPrompt, json::object{{"message", message}});
  if (!sent) return report_failure(invocation, sent.error());
  std::string id = string_field(*sent, "id");
  InterruptScope scope;
  while (!interrupted()) {
    auto event = invocation.client.read_message(-1);
    if (!event) return interrupted() ? kExitOk : report_failure(invocation, event.error());
    const auto* params = event->as_object().if_contains("params");
    if (!params || string_field(*params, "id") != id) continue;
    std::string type = string_field(*params, "type");
    if (invocation.json &&
        (type == "agent_output" || type == "agent_end" || type == "task_error")) {
      std::fprintf(invocation.out, "%s\n", to_json_line(*params).c_str());
    } else if (type == "agent_output") {
      std::string chunk = string_field(*params, "chunk");
      std::fwrite(chunk.data(), 1, chunk.size(), invocation.out);
      std::fflush(invocation.out);
    }
    if (type == "agent_end") return kExitOk;
    if (type == "task_error") {
      std::fprintf(invocation.err, "error: %s (%s)\n", string_field(*params, "message").c_str(),
                   string_field(*params, "code").c_str());
      return kExitError;
    }
  }
  return kExitOk;
}

int session_state(Invocation& invocation, const Args& args) {
  if (!args.empty()) return usage_error(invocation, self(), "session state takes no arguments");
  return call_and_print(invocation, proto::method::kSessionState, nullptr,
                        [&](const json::value& r) {
                          const auto& sessions = r.at("sessions").as_array();
                          std::size_t width = 8;
                          for (const auto& s : sessions)
                            width = std::max(width, string_field(s, "id").size());
                          for (const auto& s : sessions) print_state_line(invocation, s, width);
                          std::string active = string_field(r, "active");
                          std::fprintf(invocation.out, "active: %s, warm: %lld\n",
                                       active.empty() ? "none" : active.c_str(),
                                       static_cast<long long>(int_field(r, "warm")));
                          return kExitOk;
                        });
}

int session_stop(Invocation& invocation, const Args& args) {
  if (args.size() != 1) return usage_error(invocation, self(), "session stop ID");
  return call_and_print(invocation, proto::method::kSessionStop, json::object{{"id", args[0]}},
                        [&](const json::value&) {
                          std::fprintf(invocation.out, "%s: stopped\n", args[0].c_str());
                          return kExitOk;
                        });
}

int run_session(Invocation& invocation, const Args& args) {
  if (args.empty()) return usage_error(invocation, self(), "name a subcommand");
  Args rest(args.begin() + 1, args.end());
  const std::string& sub = args[0];
  if (sub == "open") return session_open(invocation, rest);
  if (sub == "switch") return session_switch(invocation, rest);
  if (sub == "prompt") return session_prompt(invocation, rest);
  if (sub == "state") return session_state(invocation, rest);
  if (sub == "stop") return session_stop(invocation, rest);
  return usage_error(invocation, self(), "unknown subcommand '" + sub + "'");
}

std::vector<std::string> complete_session(CompletionContext& context, const Args& before,
                                          std::string_view current) {
  if (before.empty()) return {"open", "switch", "prompt", "state", "stop"};
  if (before.size() == 1 && (before[0] == "open" || before[0] == "switch" || before[0] == "stop")) {
    return complete_session_ids(context, {}, current);
  }
  return {};
}

constexpr Command kCommands[] = {
    {"session", "session open ID [--model M] | switch ID | prompt MESSAGE | state | stop ID",
     "agent sessions: open, switch warm, prompt (output streams live), state, stop", run_session,
     complete_session},
};

}  // namespace

std::span<const Command> session_commands() { return kCommands; }

}  // namespace taskd::ctl
