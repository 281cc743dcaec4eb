// taskctl's command table: one entry per command with its usage line and summary; each command
// family lives in its own cmd_*.cpp. The same table drives one-shot use, the shell and help.
#pragma once

#include "ctl/client.h"

#include <cstdio>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace taskd::ctl {

struct Invocation {
  Client& client;
  bool json = false;   // print the daemon's result objects, one JSON document per command
  bool color = false;  // ANSI colors (terminal and no NO_COLOR)
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  bool interactive = false;  // inside the shell on a terminal (Ctrl-C ends a command, not taskctl)
  bool quit = false;         // set by exit / quit: the shell or script stops reading
};

using Args = std::vector<std::string>;

struct CompletionContext;  // completion.h
// Candidates for the argument being typed, given the arguments before it (without the command
// name) and the partial word; the caller filters by prefix, so returning every candidate is fine.
using ArgCompleter = std::vector<std::string> (*)(CompletionContext& context, const Args& before,
                                                  std::string_view current);

struct Command {
  std::string_view name;
  std::string_view usage;
  std::string_view summary;
  int (*run)(Invocation& invocation, const Args& args);
  ArgCompleter complete = nullptr;  // tab completion of arguments; nullptr: none
};

std::span<const Command> all_commands();
const Command* find_command(std::string_view name);

// words[0] is the command name. Returns the exit code.
int run_command(Invocation& invocation, const Args& words);

// Prints a failed call (stderr, or the error object with --json); returns the exit code.
int report_failure(Invocation& invocation, const CallFailure& failure);
int usage_error(Invocation& invocation, const Command& command, std::string_view why);

// Calls `method`; prints its result as JSON with --json, else hands it to `print`.
// Returns print's exit code, or the failure's.
int call_and_print(Invocation& invocation, std::string_view method, boost::json::value params,
                   const std::function<int(const boost::json::value&)>& print);

// For per-name results ({"results":[{name, ok, error}]}): "web: started" or
// "web: ERROR (not running)". Returns kExitError when any entry failed.
int print_results(Invocation& invocation, const boost::json::value& result, std::string_view done);

// Families, defined in cmd_*.cpp.
std::span<const Command> daemon_commands();
std::span<const Command> program_commands();
std::span<const Command> tail_commands();
std::span<const Command> config_commands();
std::span<const Command> exec_commands();
std::span<const Command> task_commands();
std::span<const Command> session_commands();
std::span<const Command> events_commands();
std::span<const Command> completion_commands();
std::span<const Command> attach_commands();

}  // namespace taskd::ctl
