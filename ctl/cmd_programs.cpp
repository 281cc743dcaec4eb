// status, pid, avail, start, stop, restart, signal, clear: supervisorctl's process commands.
#include "ctl/commands.h"
#include "ctl/completion.h"
#include "ctl/exit_codes.h"
#include "ctl/render.h"
#include "proto/methods.h"

#include <algorithm>

namespace taskd::ctl {
namespace json = boost::json;
namespace {

json::array to_array(const Args& names) {
  json::array array;
  for (const auto& name : names) array.emplace_back(name);
  return array;
}

const char* color_of(const std::string& state) {
  if (state == "RUNNING") return "\033[32m";
  if (state == "FATAL" || state == "BACKOFF" || state == "UNKNOWN") return "\033[31m";
  if (state == "STARTING" || state == "STOPPING") return "\033[33m";
  return "";
}

// supervisorctl's layout: name padded to max(30, longest) + 3, state padded to 10.
int print_status(Invocation& invocation, const json::value& result) {
  const auto& processes = result.at("processes").as_array();
  std::size_t width = 30;
  for (const auto& p : processes) width = std::max(width, string_field(p, "name").size());
  int code = kExitOk;
  for (const auto& p : processes) {
    std::string state = string_field(p, "state");
    bool color = invocation.color && *color_of(state);
    std::fprintf(invocation.out, "%-*s%s%-10s%s%s\n", static_cast<int>(width + 3),
                 string_field(p, "name").c_str(), color ? color_of(state) : "", state.c_str(),
                 color ? "\033[0m" : "", string_field(p, "description").c_str());
    if (state != "RUNNING") code = kExitNotRunning;
  }
  for (const auto& e : result.at("errors").as_array()) {
    std::fprintf(invocation.out, "%s: ERROR (no such process)\n", string_field(e, "name").c_str());
    code = kExitNoSuchName;
  }
  return code;
}

int run_status(Invocation& invocation, const Args& args) {
  json::value params =
      args.empty() ? json::value(nullptr) : json::object{{"names", to_array(args)}};
  return call_and_print(
      invocation, proto::method::kProgramsStatus, std::move(params),
      [&](const json::value& result) { return print_status(invocation, result); });
}

int run_names_command(Invocation& invocation, const Args& args, std::string_view command,
                      std::string_view method, std::string_view done) {
  if (args.empty())
    return usage_error(invocation, *find_command(command), "name a process, group:*, or all");
  return call_and_print(
      invocation, method, json::object{{"names", to_array(args)}},
      [&](const json::value& result) { return print_results(invocation, result, done); });
}

int run_start(Invocation& i, const Args& a) {
  return run_names_command(i, a, "start", proto::method::kProgramsStart, "started");
}
int run_stop(Invocation& i, const Args& a) {
  return run_names_command(i, a, "stop", proto::method::kProgramsStop, "stopped");
}
int run_restart(Invocation& i, const Args& a) {
  return run_names_command(i, a, "restart", proto::method::kProgramsRestart, "restarted");
}
int run_clear(Invocation& i, const Args& a) {
  return run_names_command(i, a, "clear", proto::method::kProgramsClear, "cleared");
}

int run_signal(Invocation& invocation, const Args& args) {
  if (args.size() < 2)
    return usage_error(invocation, *find_command("signal"), "need a signal and a name");
  Args names(args.begin() + 1, args.end());
  return call_and_print(
      invocation, proto::method::kProgramsSignal,
      json::object{{"signal", args[0]}, {"names", to_array(names)}},
      [&](const json::value& result) { return print_results(invocation, result, "signalled"); });
}

int run_pid(Invocation& invocation, const Args& args) {
  if (args.empty()) {
    return call_and_print(
        invocation, proto::method::kDaemonHealth, nullptr, [&](const json::value& result) {
          std::fprintf(invocation.out, "%lld\n", static_cast<long long>(int_field(result, "pid")));
          return kExitOk;
        });
  }
  return call_and_print(invocation, proto::method::kProgramsStatus,
                        json::object{{"names", to_array(args)}}, [&](const json::value& result) {
                          int code = kExitOk;
                          for (const auto& p : result.at("processes").as_array()) {
                            std::fprintf(invocation.out, "%lld\n",
                                         static_cast<long long>(int_field(p, "pid")));
                          }
                          for (const auto& e : result.at("errors").as_array()) {
                            std::fprintf(invocation.out, "%s: ERROR (no such process)\n",
                                         string_field(e, "name").c_str());
                            code = kExitNoSuchName;
                          }
                          return code;
                        });
}

int run_avail(Invocation& invocation, const Args& args) {
  if (!args.empty())
    return usage_error(invocation, *find_command("avail"), "no arguments expected");
  return call_and_print(
      invocation, proto::method::kProgramsStatus, nullptr, [&](const json::value& result) {
        std::size_t width = 30;
        for (const auto& p : result.at("processes").as_array())
          width = std::max(width, string_field(p, "name").size());
        for (const auto& p : result.at("processes").as_array()) {
          const auto* autostart = p.as_object().if_contains("autostart");
          std::fprintf(
              invocation.out, "%-*s in use    %-6s %lld:%lld\n", static_cast<int>(width + 3),
              string_field(p, "name").c_str(),
              autostart && autostart->is_bool() && autostart->as_bool() ? "auto" : "manual",
              static_cast<long long>(int_field(p, "priority")),
              static_cast<long long>(int_field(p, "priority")));
        }
        return kExitOk;
      });
}

constexpr Command kCommands[] = {
    {"avail", "avail", "list every configured process", run_avail},
    {"clear", "clear NAME...", "empty the log files of processes", run_clear, complete_programs},
    {"pid", "pid [NAME...]", "the daemon's pid, or the pids of processes", run_pid,
     complete_programs},
    {"restart", "restart NAME...", "stop, then start processes (group:*, all)", run_restart,
     complete_programs},
    {"signal", "signal SIGNAL NAME...", "send a signal (HUP, USR1, 15...) to processes", run_signal,
     complete_signal_then_programs},
    {"start", "start NAME...", "start processes (name, group:name, group:*, all)", run_start,
     complete_programs},
    {"status", "status [NAME...]", "show process states (exit 3: not running, 4: no such name)",
     run_status, complete_programs},
    {"stop", "stop NAME...", "stop processes (group:*, all)", run_stop, complete_programs},
};

}  // namespace

std::span<const Command> program_commands() { return kCommands; }

}  // namespace taskd::ctl
