// The ready-made completers of completion.h: names fetched live from the daemon, signal names,
// command names.
#include "common/signals.h"
#include "ctl/completion.h"
#include "ctl/render.h"
#include "proto/methods.h"

#include <algorithm>

namespace taskd::ctl {
namespace json = boost::json;
namespace {

// Leaves out what the line already names, so `stop web <TAB>` offers the others.
std::vector<std::string> without(std::vector<std::string> names, const Args& before) {
  std::erase_if(names, [&](const std::string& name) {
    return std::find(before.begin(), before.end(), name) != before.end();
  });
  return names;
}

// Strings, or objects' `key` field, from result[field] (result itself when it is the array).
std::vector<std::string> ids_from(const json::value& result, std::string_view field) {
  const json::value* list = &result;
  if (const json::object* object = result.if_object()) list = object->if_contains(field);
  std::vector<std::string> ids;
  if (!list || !list->is_array()) return ids;
  for (const auto& entry : list->get_array()) {
    if (entry.is_string())
      ids.emplace_back(entry.get_string());
    else if (std::string id = string_field(entry, "id"); !id.empty())
      ids.push_back(id);
    else if (std::string task = string_field(entry, "task_id"); !task.empty())
      ids.push_back(task);
  }
  return ids;
}

}  // namespace

std::optional<json::value> CompletionContext::query(std::string_view method, json::value params) {
  auto result = client.call(method, std::move(params), timeout_ms);
  if (!result) return std::nullopt;
  return std::move(*result);
}

namespace {

// (name, group) of every process, from programs.status.
std::vector<std::pair<std::string, std::string>> processes(CompletionContext& context) {
  std::vector<std::pair<std::string, std::string>> found;
  auto status = context.query(proto::method::kProgramsStatus);
  const json::object* result = status ? status->if_object() : nullptr;
  const json::value* list = result ? result->if_contains("processes") : nullptr;
  if (!list || !list->is_array()) return found;
  for (const auto& process : list->get_array()) {
    std::string name = string_field(process, "name");
    if (!name.empty()) found.emplace_back(name, string_field(process, "group"));
  }
  return found;
}

}  // namespace

std::vector<std::string> instance_names(CompletionContext& context) {
  std::vector<std::string> names;
  for (auto& [name, group] : processes(context)) names.push_back(name);
  return names;
}

std::vector<std::string> program_names(CompletionContext& context) {
  std::vector<std::string> names;
  for (auto& [name, group] : processes(context)) {
    names.push_back(name);
    // Instances of a numprocs > 1 program are "group:instance"; offer the whole group too.
    if (!group.empty() && group != name) names.push_back(group + ":*");
  }
  names.emplace_back("all");
  return names;
}

std::vector<std::string> task_ids(CompletionContext& context) {
  auto tasks = context.query(proto::method::kTasksList);
  return tasks ? ids_from(*tasks, "tasks") : std::vector<std::string>{};
}

std::vector<std::string> session_ids(CompletionContext& context) {
  auto sessions = context.query(proto::method::kSessionState);
  return sessions ? ids_from(*sessions, "sessions") : std::vector<std::string>{};
}

std::vector<std::string> complete_programs(CompletionContext& context, const Args& before,
                                           std::string_view) {
  return without(program_names(context), before);
}

std::vector<std::string> complete_signal_then_programs(CompletionContext& context,
                                                       const Args& before,
                                                       std::string_view current) {
  if (before.empty()) return signal_names();
  return complete_programs(context, Args(before.begin() + 1, before.end()), current);
}

std::vector<std::string> complete_task_ids(CompletionContext& context, const Args& before,
                                           std::string_view) {
  return without(task_ids(context), before);
}

std::vector<std::string> complete_session_ids(CompletionContext& context, const Args& before,
                                              std::string_view) {
  return without(session_ids(context), before);
}

std::vector<std::string> complete_command_names(CompletionContext&, const Args& before,
                                                std::string_view) {
  std::vector<std::string> names;
  if (!before.empty()) return names;
  for (const Command& command : all_commands()) names.emplace_back(command.name);
  return names;
}

}  // namespace taskd::ctl
