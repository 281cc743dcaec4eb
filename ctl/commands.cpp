#include "ctl/commands.h"

#include "ctl/completion.h"
#include "ctl/exit_codes.h"
#include "ctl/render.h"

#include <algorithm>

namespace taskd::ctl {
namespace {

int run_help(Invocation& invocation, const Args& args);

// exit / quit end the shell or a script; as a one-shot command they do nothing.
int quit(Invocation& invocation, const Args& args, std::string_view name) {
  if (!args.empty()) return usage_error(invocation, *find_command(name), "no arguments expected");
  invocation.quit = true;
  return kExitOk;
}
int run_exit(Invocation& i, const Args& a) { return quit(i, a, "exit"); }
int run_quit(Invocation& i, const Args& a) { return quit(i, a, "quit"); }

constexpr Command kGeneral[] = {
    {"exit", "exit", "leave the shell (also quit, Ctrl-D)", run_exit},
    {"help", "help [COMMAND]", "list commands, or show one command's usage", run_help,
     complete_command_names},
    {"quit", "quit", "leave the shell (also exit, Ctrl-D)", run_quit},
};

std::vector<Command> build_table() {
  std::vector<Command> table;
  // One family per line (cmd_*.cpp).
  for (auto family : {
           daemon_commands(),
           program_commands(),
           tail_commands(),
           config_commands(),
           events_commands(),
           completion_commands(),
           attach_commands(),
           exec_commands(),
           task_commands(),
           session_commands(),
           std::span<const Command>(kGeneral),
       }) {
    table.insert(table.end(), family.begin(), family.end());
  }
  std::sort(table.begin(), table.end(),
            [](const Command& a, const Command& b) { return a.name < b.name; });
  return table;
}

int run_help(Invocation& invocation, const Args& args) {
  if (args.size() > 1) return usage_error(invocation, *find_command("help"), "too many arguments");
  if (args.size() == 1) {
    const Command* command = find_command(args[0]);
    if (!command) {
      std::fprintf(invocation.err, "*** No help on %s\n", args[0].c_str());
      return kExitUsage;
    }
    std::fprintf(invocation.out, "%.*s\n  %.*s\n", static_cast<int>(command->usage.size()),
                 command->usage.data(), static_cast<int>(command->summary.size()),
                 command->summary.data());
    return kExitOk;
  }
  std::size_t width = 0;
  for (const Command& command : all_commands()) width = std::max(width, command.usage.size());
  std::fprintf(invocation.out, "commands (type help COMMAND):\n");
  for (const Command& command : all_commands()) {
    std::fprintf(invocation.out, "  %-*.*s  %.*s\n", static_cast<int>(width),
                 static_cast<int>(command.usage.size()), command.usage.data(),
                 static_cast<int>(command.summary.size()), command.summary.data());
  }
  return kExitOk;
}

}  // namespace

std::span<const Command> all_commands() {
  static const std::vector<Command> table = build_table();
  return table;
}

const Command* find_command(std::string_view name) {
  for (const Command& command : all_commands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

int run_command(Invocation& invocation, const Args& words) {
  if (words.empty()) return kExitOk;
  const Command* command = find_command(words[0]);
  if (!command) {
    std::fprintf(invocation.err, "*** Unknown syntax: %s (type help for a list of commands)\n",
                 words[0].c_str());
    return kExitUsage;
  }
  return command->run(invocation, Args(words.begin() + 1, words.end()));
}

int report_failure(Invocation& invocation, const CallFailure& failure) {
  if (failure.interrupted) return kExitInterrupted;  // Ctrl-C in the shell, which says so
  if (failure.transport) {
    std::fprintf(invocation.err, "taskctl: %s\n", failure.message.c_str());
    return kExitUnreachable;
  }
  if (invocation.json && !failure.error.is_null()) {
    std::fprintf(invocation.out, "%s\n", to_json_line({{"error", failure.error}}).c_str());
  }
  std::string code = failure.code.empty() ? "" : " (" + failure.code + ")";
  std::fprintf(invocation.err, "error: %s%s\n", failure.message.c_str(), code.c_str());
  return kExitError;
}

int call_and_print(Invocation& invocation, std::string_view method, boost::json::value params,
                   const std::function<int(const boost::json::value&)>& print) {
  auto result = invocation.client.call(method, std::move(params));
  if (!result) return report_failure(invocation, result.error());
  if (invocation.json) {
    std::fprintf(invocation.out, "%s\n", to_json_line(*result).c_str());
    // Scripts still get the command's exit status (status 3 when something is down), so the
    // text printer runs with its output sent nowhere.
    std::FILE* quiet = std::fopen("/dev/null", "w");
    std::FILE* saved = invocation.out;
    invocation.out = quiet ? quiet : saved;
    int code = print(*result);
    invocation.out = saved;
    if (quiet) std::fclose(quiet);
    return code;
  }
  return print(*result);
}

int print_results(Invocation& invocation, const boost::json::value& result, std::string_view done) {
  int code = kExitOk;
  const auto* results = result.is_object() ? result.as_object().if_contains("results") : nullptr;
  if (!results || !results->is_array()) return kExitOk;
  for (const auto& entry : results->as_array()) {
    std::string name = string_field(entry, "name");
    const auto* ok = entry.as_object().if_contains("ok");
    if (ok && ok->is_bool() && ok->as_bool()) {
      std::fprintf(invocation.out, "%s: %.*s\n", name.c_str(), static_cast<int>(done.size()),
                   done.data());
      continue;
    }
    code = kExitError;
    const auto* error = entry.as_object().if_contains("error");
    std::string message = error ? string_field(*error, "message") : "failed";
    std::string code_name = error ? string_field(*error, "code") : "";
    if (message.starts_with(name + ": ")) message.erase(0, name.size() + 2);
    if (code_name == "NOT_FOUND") message = "no such process";
    if (code_name == "SPAWN_FAILED") message = "spawn error: " + message;
    std::fprintf(invocation.out, "%s: ERROR (%s)\n", name.c_str(), message.c_str());
  }
  return code;
}

int usage_error(Invocation& invocation, const Command& command, std::string_view why) {
  std::fprintf(invocation.err, "error: %.*s\nusage: %.*s\n", static_cast<int>(why.size()),
               why.data(), static_cast<int>(command.usage.size()), command.usage.data());
  return kExitUsage;
}

}  // namespace taskd::ctl
