// task create|list|get|poll|delete|sync: RL-environment tasks (docs/tasks.md).
#include "ctl/commands.h"
#include "ctl/completion.h"
#include "ctl/exit_codes.h"
#include "ctl/render.h"
#include "proto/methods.h"

#include <boost/json/parse.hpp>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace taskd::ctl {
namespace json = boost::json;
namespace {

const Command& self() { return *find_command("task"); }

// The JSON document in FILE, or on stdin for "-".
std::optional<json::value> read_document(Invocation& invocation, const std::string& file) {
  std::string text;
  if (file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(file);
    if (!in) {
      std::fprintf(invocation.err, "error: cannot read %s\n", file.c_str());
      return std::nullopt;
    }
    std::ostringstream content;
    content << in.rdbuf();
    text = content.str();
  }
  boost::system::error_code ec;
  json::value document = json::parse(text, ec);
  if (ec) {
    std::fprintf(invocation.err, "error: %s is not JSON: %s\n", file.c_str(), ec.message().c_str());
    return std::nullopt;
  }
  return document;
}

std::string describe_state(const json::value& task) {
  const auto& state = task.at("status").at("state").as_object();
  if (const auto* running = state.if_contains("running")) {
    return "running (pid " + std::to_string(int_field(*running, "pid")) + ", since " +
           string_field(*running, "started_at") + ")";
  }
  if (const auto* done = state.if_contains("terminated")) {
    return "terminated (" + string_field(*done, "reason") + ": " + string_field(*done, "message") +
           ")";
  }
  if (const auto* waiting = state.if_contains("waiting"))
    return "waiting (" + string_field(*waiting, "reason") + ")";
  return "?";
}

int print_task_line(Invocation& invocation, const json::value& task, std::size_t width) {
  std::string setup = string_field(task.at("setup"), "result");
  const auto* done = task.as_object().if_contains("done");
  std::fprintf(invocation.out, "%-*s %-6s %-5s %s\n", static_cast<int>(width),
               string_field(task, "id").c_str(), setup.c_str(),
               done && done->as_bool() ? "done" : "-", describe_state(task).c_str());
  return kExitOk;
}

int task_create(Invocation& invocation, const Args& args) {
  if (args.size() != 1) return usage_error(invocation, self(), "task create FILE.json|-");
  auto document = read_document(invocation, args[0]);
  if (!document) return kExitUsage;
  return call_and_print(invocation, proto::method::kTasksCreate, *document,
                        [&](const json::value& result) {
                          std::string id = string_field(result, "id");
                          if (string_field(result, "result") == "READY") {
                            std::fprintf(invocation.out, "%s: READY\n", id.c_str());
                            return kExitOk;
                          }
                          std::fprintf(invocation.out, "%s: FAIL (%s)\n", id.c_str(),
                                       string_field(result, "reason").c_str());
                          return kExitError;
                        });
}

int task_list(Invocation& invocation, const Args& args) {
  if (!args.empty()) return usage_error(invocation, self(), "task list takes no arguments");
  return call_and_print(invocation, proto::method::kTasksList, nullptr,
                        [&](const json::value& result) {
                          std::size_t width = 8;
                          for (const auto& task : result.at("tasks").as_array())
                            width = std::max(width, string_field(task, "id").size());
                          for (const auto& task : result.at("tasks").as_array())
                            print_task_line(invocation, task, width);
                          return kExitOk;
                        });
}

int task_get(Invocation& invocation, const Args& args) {
  if (args.size() != 1) return usage_error(invocation, self(), "task get ID");
  return call_and_print(invocation, proto::method::kTasksGet, json::object{{"id", args[0]}},
                        [&](const json::value& task) {
                          print_task_line(invocation, task, args[0].size());
                          const auto& setup = task.at("setup");
                          if (string_field(setup, "result") == "FAIL") {
                            std::fprintf(invocation.out, "setup failed at step %lld: %s\n",
                                         static_cast<long long>(int_field(setup, "failed_step")),
                                         string_field(setup, "reason").c_str());
                          }
                          return kExitOk;
                        });
}

// Exit 0 DONE, 3 INPROGRESS (like "not running yet"), 1 ERROR.
int task_poll(Invocation& invocation, const Args& args) {
  if (args.size() != 1) return usage_error(invocation, self(), "task poll ID");
  return call_and_print(
      invocation, proto::method::kTasksPoll, json::object{{"id", args[0]}},
      [&](const json::value& result) {
        std::string status = string_field(result, "status");
        std::fprintf(invocation.out, "%s\n", string_field(result, "text").c_str());
        return status == "DONE" ? kExitOk : status == "INPROGRESS" ? kExitNotRunning : kExitError;
      });
}

int task_delete(Invocation& invocation, const Args& args) {
  if (args.size() != 1) return usage_error(invocation, self(), "task delete ID");
  return call_and_print(invocation, proto::method::kTasksDelete, json::object{{"id", args[0]}},
                        [&](const json::value& result) {
                          const auto* deleted = result.as_object().if_contains("deleted");
                          bool was = deleted && deleted->as_bool();
                          std::fprintf(invocation.out, "%s: %s\n", args[0].c_str(),
                                       was ? "deleted" : "no such task (nothing to delete)");
                          return kExitOk;
                        });
}

int task_sync(Invocation& invocation, const Args& args) {
  if (args.size() != 1) return usage_error(invocation, self(), "task sync FILE.json|-");
  auto document = read_document(invocation, args[0]);
  if (!document) return kExitUsage;
  json::value params =
      document->is_array() ? json::value(json::object{{"tasks", *document}}) : *document;
  return call_and_print(
      invocation, proto::method::kTasksSync, std::move(params), [&](const json::value& result) {
        for (const char* key : {"created", "replaced", "deleted", "unchanged"}) {
          for (const auto& id : result.at(key).as_array()) {
            std::fprintf(invocation.out, "%s: %s\n", std::string(id.as_string()).c_str(), key);
          }
        }
        int code = kExitOk;
        for (const auto& failure : result.at("failed").as_array()) {
          std::fprintf(invocation.out, "%s: FAIL (%s)\n", string_field(failure, "id").c_str(),
                       string_field(failure, "reason").c_str());
          code = kExitError;
        }
        return code;
      });
}

int run_task(Invocation& invocation, const Args& args) {
  if (args.empty()) return usage_error(invocation, self(), "name a subcommand");
  Args rest(args.begin() + 1, args.end());
  const std::string& sub = args[0];
  if (sub == "create") return task_create(invocation, rest);
  if (sub == "list") return task_list(invocation, rest);
  if (sub == "get") return task_get(invocation, rest);
  if (sub == "poll") return task_poll(invocation, rest);
  if (sub == "delete") return task_delete(invocation, rest);
  if (sub == "sync") return task_sync(invocation, rest);
  return usage_error(invocation, self(), "unknown subcommand '" + sub + "'");
}

std::vector<std::string> complete_task(CompletionContext& context, const Args& before,
                                       std::string_view current) {
  if (before.empty()) return {"create", "list", "get", "poll", "delete", "sync"};
  if (before.size() == 1 && (before[0] == "get" || before[0] == "poll" || before[0] == "delete")) {
    return complete_task_ids(context, {}, current);
  }
  return {};
}

constexpr Command kCommands[] = {
    {"task", "task create FILE|- | list | get ID | poll ID | delete ID | sync FILE|-",
     "RL tasks: set up, inspect, poll (DONE/INPROGRESS/ERROR), delete, reconcile", run_task,
     complete_task},
};

}  // namespace

std::span<const Command> task_commands() { return kCommands; }

}  // namespace taskd::ctl
