// events [TOPIC...]: subscribe on a connection of its own and print one line per event until
// Ctrl-C. A separate connection keeps the shell's command connection free of notifications, and
// closing it is the unsubscribe.
#include "ctl/commands.h"
#include "ctl/completion.h"
#include "ctl/exit_codes.h"
#include "ctl/interrupt.h"
#include "ctl/render.h"
#include "proto/methods.h"

#include <poll.h>

#include <algorithm>

namespace taskd::ctl {
namespace json = boost::json;
namespace {

void print_event(Invocation& invocation, const json::value& params) {
  std::string line = invocation.json ? to_json_line(params) : format_event(params);
  std::fprintf(invocation.out, "%s\n", line.c_str());
  std::fflush(invocation.out);
}

// Waits until the connection or Ctrl-C has something (EINTR included: the loop looks again).
void wait_readable(Client& stream) {
  pollfd fds[2] = {{stream.fd(), POLLIN, 0}, {interrupt_fd(), POLLIN, 0}};
  ::poll(fds, 2, -1);
}

int follow(Invocation& invocation, Client& stream) {
  for (;;) {
    auto message = stream.read_message(0);
    if (interrupted()) return kExitOk;
    if (!message) {
      if (message.error().interrupted) return kExitOk;
      if (message.error().code == "TIMEOUT") {
        wait_readable(stream);
        continue;
      }
      return report_failure(invocation, message.error());
    }
    const json::object* object = message->if_object();
    const json::value* method = object ? object->if_contains("method") : nullptr;
    if (!method || !method->is_string() || method->get_string() != proto::method::kEvent) continue;
    const json::value* params = object->if_contains("params");
    if (params) print_event(invocation, *params);
  }
}

int run_events(Invocation& invocation, const Args& args) {
  json::value params = nullptr;
  if (!args.empty()) {
    json::array topics;
    for (const auto& topic : args) topics.emplace_back(topic);
    params = json::object{{"topics", std::move(topics)}};
  }
  InterruptScope scope;
  Client stream(invocation.client.address_text(), invocation.client.options());
  auto subscribed = stream.call(proto::method::kEventsSubscribe, std::move(params));
  if (!subscribed) {
    if (subscribed.error().interrupted) return kExitOk;
    return report_failure(invocation, subscribed.error());
  }
  if (invocation.interactive) std::fprintf(invocation.err, "==> Press Ctrl-C to exit <==\n");
  return follow(invocation, stream);
}

std::vector<std::string> complete_topics(CompletionContext&, const Args& before, std::string_view) {
  std::vector<std::string> topics;
  for (std::string_view topic : proto::topic::kAll) {
    if (std::find(before.begin(), before.end(), topic) == before.end()) topics.emplace_back(topic);
  }
  return topics;
}

constexpr Command kCommands[] = {
    {"events", "events [TOPIC...]",
     "follow the event stream until Ctrl-C (topics: daemon process task output session)",
     run_events, complete_topics},
};

}  // namespace

std::span<const Command> events_commands() { return kCommands; }

}  // namespace taskd::ctl
