// tail [-f] [-BYTES] NAME [stdout|stderr] and maintail [-f] [-BYTES]: print the end of a log and
// optionally follow it by polling from the returned offset (as supervisorctl does).
#include "common/text_encoding.h"
#include "ctl/commands.h"
#include "ctl/completion.h"
#include "ctl/exit_codes.h"
#include "ctl/interrupt.h"
#include "ctl/render.h"
#include "proto/methods.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace taskd::ctl {
namespace json = boost::json;
namespace {

constexpr std::int64_t kFollowChunk = 64 * 1024;
constexpr int kPollMs = 200;

struct TailArgs {
  bool follow = false;
  std::int64_t bytes = 1600;
  std::vector<std::string> rest;
};

bool parse_tail_args(const Args& args, TailArgs& out) {
  for (const auto& arg : args) {
    if (arg == "-f") {
      out.follow = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      auto [end, ec] = std::from_chars(arg.data() + 1, arg.data() + arg.size(), out.bytes);
      if (ec != std::errc{} || end != arg.data() + arg.size() || out.bytes < 0) return false;
    } else {
      out.rest.push_back(arg);
    }
  }
  return true;
}

// Text: the bytes. --json: the slice object, one per line (only non-empty ones while following).
void print_data(Invocation& invocation, const json::value& slice) {
  if (invocation.json) {
    std::fprintf(invocation.out, "%s\n", to_json_line(slice).c_str());
    std::fflush(invocation.out);
    return;
  }
  std::string data = string_field(slice, "data");
  if (string_field(slice, "encoding") == "base64") data = base64_decode(data).value_or("");
  std::fwrite(data.data(), 1, data.size(), invocation.out);
  std::fflush(invocation.out);
}

// Prints the last `bytes`, then (with follow) everything appended until Ctrl-C.
int tail_log(Invocation& invocation, std::string_view method, json::object params,
             const TailArgs& tail) {
  std::optional<InterruptScope> scope;
  if (tail.follow) scope.emplace();  // before the first call: Ctrl-C at any point ends a follow
  params["length"] = std::min<std::int64_t>(tail.bytes, 1024 * 1024);
  auto first = invocation.client.call(method, params);
  if (!first) {
    if (tail.follow && interrupted()) return kExitOk;
    return report_failure(invocation, first.error());
  }
  print_data(invocation, *first);
  if (!tail.follow) return kExitOk;
  std::int64_t offset = int_field(*first, "next_offset");
  params["length"] = kFollowChunk;
  while (!interrupted()) {
    params["offset"] = offset;
    auto next = invocation.client.call(method, params);
    if (!next) {
      if (interrupted()) break;
      return report_failure(invocation, next.error());
    }
    const auto* reset = next->as_object().if_contains("reset");
    if (reset && reset->is_bool() && reset->as_bool() && !invocation.json) {
      std::fprintf(invocation.err, "==> log rotated or cleared <==\n");
    }
    std::int64_t got = int_field(*next, "next_offset") - int_field(*next, "offset");
    if (got > 0 || (reset && reset->is_bool() && reset->as_bool())) print_data(invocation, *next);
    offset = int_field(*next, "next_offset");
    if (got < kFollowChunk) sleep_unless_interrupted(kPollMs);
  }
  return kExitOk;
}

int run_tail(Invocation& invocation, const Args& args) {
  TailArgs tail;
  const Command& self = *find_command("tail");
  if (!parse_tail_args(args, tail) || tail.rest.empty() || tail.rest.size() > 2) {
    return usage_error(invocation, self, "need a process name");
  }
  std::string stream = tail.rest.size() == 2 ? tail.rest[1] : "stdout";
  if (stream != "stdout" && stream != "stderr")
    return usage_error(invocation, self, "stream is stdout or stderr");
  return tail_log(invocation, proto::method::kProgramsTail,
                  json::object{{"name", tail.rest[0]}, {"stream", stream}}, tail);
}

int run_maintail(Invocation& invocation, const Args& args) {
  TailArgs tail;
  if (!parse_tail_args(args, tail) || !tail.rest.empty()) {
    return usage_error(invocation, *find_command("maintail"), "only -f and -BYTES are accepted");
  }
  return tail_log(invocation, proto::method::kDaemonTail, json::object{}, tail);
}

// tail [-f] [-BYTES] NAME [stdout|stderr]: options anywhere, then one process, then a stream.
std::vector<std::string> complete_tail(CompletionContext& context, const Args& before,
                                       std::string_view current) {
  if (current.starts_with("-")) return {"-f"};
  auto positional = std::count_if(before.begin(), before.end(),
                                  [](const std::string& arg) { return !arg.starts_with("-"); });
  if (positional == 0) return instance_names(context);
  if (positional == 1) return {"stdout", "stderr"};
  return {};
}

std::vector<std::string> complete_maintail(CompletionContext&, const Args&, std::string_view) {
  return {"-f"};
}

constexpr Command kCommands[] = {
    {"maintail", "maintail [-f] [-BYTES]", "show (and follow) the daemon's log, its event log",
     run_maintail, complete_maintail},
    {"tail", "tail [-f] [-BYTES] NAME [stdout|stderr]", "show (and follow) a process's output",
     run_tail, complete_tail},
};

}  // namespace

std::span<const Command> tail_commands() { return kCommands; }

}  // namespace taskd::ctl
