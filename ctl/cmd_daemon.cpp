// version, health, shutdown: commands about the daemon itself.
#include "ctl/commands.h"
#include "ctl/exit_codes.h"
#include "ctl/render.h"
#include "proto/methods.h"

namespace taskd::ctl {
namespace json = boost::json;
namespace {

int run_version(Invocation& invocation, const Args& args) {
  if (!args.empty())
    return usage_error(invocation, *find_command("version"), "no arguments expected");
  return call_and_print(
      invocation, proto::method::kDaemonVersion, nullptr, [&](const json::value& result) {
        std::fprintf(invocation.out, "%s\n", string_field(result, "version").c_str());
        return kExitOk;
      });
}

int run_health(Invocation& invocation, const Args& args) {
  if (!args.empty())
    return usage_error(invocation, *find_command("health"), "no arguments expected");
  return call_and_print(
      invocation, proto::method::kDaemonHealth, nullptr, [&](const json::value& r) {
        std::fprintf(invocation.out,
                     "ok: pid %lld, uptime %s, programs %lld (%lld running), tasks %lld, "
                     "sessions %lld, connections %lld\n",
                     static_cast<long long>(int_field(r, "pid")),
                     format_uptime(int_field(r, "uptime_ms")).c_str(),
                     static_cast<long long>(int_field(r, "programs")),
                     static_cast<long long>(int_field(r, "programs_running")),
                     static_cast<long long>(int_field(r, "tasks")),
                     static_cast<long long>(int_field(r, "sessions")),
                     static_cast<long long>(int_field(r, "connections")));
        return kExitOk;
      });
}

int run_shutdown(Invocation& invocation, const Args& args) {
  if (!args.empty())
    return usage_error(invocation, *find_command("shutdown"), "no arguments expected");
  return call_and_print(invocation, proto::method::kDaemonShutdown, nullptr,
                        [&](const json::value&) {
                          std::fprintf(invocation.out, "Shut down\n");
                          return kExitOk;
                        });
}

constexpr Command kCommands[] = {
    {"health", "health", "check that the daemon answers; show counts and uptime", run_health},
    {"shutdown", "shutdown", "stop every program, then the daemon", run_shutdown},
    {"version", "version", "show the daemon's version", run_version},
};

}  // namespace

std::span<const Command> daemon_commands() { return kCommands; }

}  // namespace taskd::ctl
