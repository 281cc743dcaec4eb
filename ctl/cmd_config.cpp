// reread (what a reload would change), update / reload (apply it): the config commands.
#include "ctl/commands.h"
#include "ctl/exit_codes.h"
#include "ctl/render.h"
#include "proto/methods.h"

namespace taskd::ctl {
namespace json = boost::json;
namespace {

int print_plan(Invocation& invocation, const json::value& result, bool applied) {
  bool any = false;
  auto list = [&](std::string_view key, const char* word) {
    for (const auto& name : result.at(key).as_array()) {
      std::fprintf(invocation.out, "%s: %s\n", std::string(name.as_string()).c_str(), word);
      any = true;
    }
  };
  list("removed", applied ? "removed" : "disappeared");
  list("changed", applied ? "updated (restarted)" : "changed");
  list("added", applied ? "added" : "available");
  if (!any) std::fprintf(invocation.out, "No config updates to processes\n");
  return kExitOk;
}

int run_reload(Invocation& invocation, const Args& args, bool dry_run, std::string_view name) {
  if (!args.empty()) return usage_error(invocation, *find_command(name), "no arguments expected");
  return call_and_print(
      invocation, proto::method::kDaemonReload, json::object{{"dry_run", dry_run}},
      [&](const json::value& result) { return print_plan(invocation, result, !dry_run); });
}

int run_reread(Invocation& i, const Args& a) { return run_reload(i, a, true, "reread"); }
int run_update(Invocation& i, const Args& a) { return run_reload(i, a, false, "update"); }
int run_apply(Invocation& i, const Args& a) { return run_reload(i, a, false, "reload"); }

constexpr Command kCommands[] = {
    {"reload", "reload", "re-read the config and apply it (unchanged processes keep running)",
     run_apply},
    {"reread", "reread", "show what a reload would change, without applying it", run_reread},
    {"update", "update", "same as reload", run_update},
};

}  // namespace

std::span<const Command> config_commands() { return kCommands; }

}  // namespace taskd::ctl
