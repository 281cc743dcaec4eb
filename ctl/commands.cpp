#include "ctl/commands.h"

#include "ctl/exit_codes.h"
#include "ctl/render.h"

#include <algorithm>

namespace taskd::ctl {
namespace {

int run_help(Invocation& invocation, const Args& args);

constexpr Command kGeneral[] = {
    {"help", "help [COMMAND]", "list commands, or show one command's usage", run_help},
};

std::vector<Command> build_table() {
  std::vector<Command> table;
  for (auto family : {daemon_commands(), std::span<const Command>(kGeneral)}) {
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
  std::fprintf(invocation.out, "commands (type help COMMAND):\n");
  for (const Command& command : all_commands()) {
    std::fprintf(invocation.out, "  %-28.*s %.*s\n", static_cast<int>(command.usage.size()),
                 command.usage.data(), static_cast<int>(command.summary.size()),
                 command.summary.data());
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

int usage_error(Invocation& invocation, const Command& command, std::string_view why) {
  std::fprintf(invocation.err, "error: %.*s\nusage: %.*s\n", static_cast<int>(why.size()), why.data(),
               static_cast<int>(command.usage.size()), command.usage.data());
  return kExitUsage;
}

}  // namespace taskd::ctl
