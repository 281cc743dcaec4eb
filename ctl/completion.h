// Tab completion, shared by the interactive shell and `taskctl __complete` (which the bash and zsh
// scripts call): split the text before the cursor, then ask the command's ArgCompleter. Ready-made
// completers for the names the daemon knows live here too, so every command family can reuse them.
// Completion never fails loudly: an unreachable daemon or an unknown method just yields nothing.
#pragma once

#include "ctl/client.h"
#include "ctl/commands.h"

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskd::ctl {

struct CompletionContext {
  Client& client;
  int timeout_ms = 2000;  // a completion must not hang the prompt on a stuck daemon

  // One call for completion data; nullopt on any failure, including METHOD_NOT_FOUND from a daemon
  // that lacks the method (tasks and sessions on an older build).
  std::optional<boost::json::value> query(std::string_view method,
                                          boost::json::value params = nullptr);
};

// A line cut at the cursor: complete words before it and the word being typed.
struct PartialLine {
  Args words;                     // unquoted, as the command will see them
  std::string current;            // the unquoted word under the cursor ("" after a blank)
  std::size_t current_start = 0;  // byte offset of that word in the line, quotes included
};

// Splits like split_shell_words() but never fails: an open quote or a trailing backslash just
// belongs to the word being typed.
PartialLine split_partial_line(std::string_view line);

// Backslash-escapes what split_shell_words() would otherwise treat as syntax.
std::string quote_word(std::string_view word);

struct Completion {
  std::size_t replace_from = 0;         // where the word being completed starts in the line
  std::string current;                  // that word, unquoted
  std::vector<std::string> candidates;  // sorted, unique, each starting with `current`
};

// Command names for the first word, else the command's ArgCompleter.
Completion complete_line(CompletionContext& context, std::string_view line_before_cursor);
// The same on words already split: `words` before the cursor (command first), `current` typed.
std::vector<std::string> complete_words(CompletionContext& context, const Args& words,
                                        std::string_view current);

// The longest prefix shared by all candidates ("" when there are none).
std::string common_prefix(const std::vector<std::string>& candidates);

// --- Data sources -------------------------------------------------------------------------
// Process instance names only (for commands that take exactly one process, like tail).
std::vector<std::string> instance_names(CompletionContext& context);
// Instance names, `group:*` for programs with several instances, and `all` (programs.status).
std::vector<std::string> program_names(CompletionContext& context);
// Task ids (tasks.list) and session ids (session.state without a task id); empty until the
// daemon has those methods. Each accepts an array of strings or of objects with an `id`.
std::vector<std::string> task_ids(CompletionContext& context);
std::vector<std::string> session_ids(CompletionContext& context);

// --- ArgCompleters for Command::complete --------------------------------------------------
// Every argument is a process name (names already on the line are left out).
std::vector<std::string> complete_programs(CompletionContext& context, const Args& before,
                                           std::string_view current);
// First argument a signal name, then process names.
std::vector<std::string> complete_signal_then_programs(CompletionContext& context,
                                                       const Args& before,
                                                       std::string_view current);
// Every argument is a task id / a session id.
std::vector<std::string> complete_task_ids(CompletionContext& context, const Args& before,
                                           std::string_view current);
std::vector<std::string> complete_session_ids(CompletionContext& context, const Args& before,
                                              std::string_view current);
// One command name (help).
std::vector<std::string> complete_command_names(CompletionContext& context, const Args& before,
                                                std::string_view current);

}  // namespace taskd::ctl
