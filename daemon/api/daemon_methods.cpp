// daemon.version, daemon.health, daemon.shutdown.
#include "daemon/api/api.h"

#include "daemon/rpc/dispatcher.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/rpc/server.h"
#include "daemon/supervisor/supervisor.h"
#include "proto/programs_types.h"
#include "proto/daemon_types.h"
#include "proto/methods.h"
#include "proto/params.h"

#include <unistd.h>

namespace taskd::api {
namespace json = boost::json;

namespace {

Result<void> expect_no_params(const json::value& params) { return proto::Fields(params).finish(); }

json::array names_of(const std::vector<supervisor::InstanceSpec>& specs) {
  json::array names;
  for (const auto& spec : specs) names.emplace_back(spec.name);
  return names;
}

json::array names_of(const std::vector<std::string>& plain) {
  json::array names;
  for (const auto& name : plain) names.emplace_back(name);
  return names;
}

boost::asio::awaitable<rpc::MethodResult> reload(ApiContext& context, json::value params) {
  auto decoded = proto::decode_reload_params(params);
  if (!decoded) co_return decoded.error();
  auto plan = co_await context.reload(decoded->dry_run);
  if (!plan) co_return plan.error();
  co_return json::object{{"applied", !decoded->dry_run},
                         {"added", names_of(plan->added)},
                         {"changed", names_of(plan->changed)},
                         {"removed", names_of(plan->removed)},
                         {"unchanged", names_of(plan->unchanged)}};
}

}  // namespace

void register_daemon_methods(rpc::Dispatcher& dispatcher, ApiContext& context) {
  dispatcher.add(proto::method::kDaemonVersion,
                 [](const json::value& params, rpc::CallContext&) -> rpc::MethodResult {
                   if (auto ok = expect_no_params(params); !ok) return ok.error();
                   proto::VersionResult result{std::string(proto::kProtocolVersion),
                                               TASKD_VERSION,
                                               {"unix", "events", "programs"}};
                   return json::value_from(result);
                 });
  dispatcher.add(proto::method::kDaemonHealth,
                 [&context](const json::value& params, rpc::CallContext&) -> rpc::MethodResult {
                   if (auto ok = expect_no_params(params); !ok) return ok.error();
                   proto::HealthResult result;
                   result.uptime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - context.started)
                                          .count();
                   result.pid = ::getpid();
                   result.connections = context.server.connection_count();
                   result.programs = context.supervisor.size();
                   result.programs_running = context.supervisor.running_count();
                   result.subscribers = context.events.subscriber_count();
                   return json::value_from(result);
                 });
  dispatcher.add(proto::method::kDaemonShutdown,
                 [&context](const json::value& params, rpc::CallContext&) -> rpc::MethodResult {
                   if (auto ok = expect_no_params(params); !ok) return ok.error();
                   context.request_shutdown();  // runs after this reply is queued
                   return json::value{{"ok", true}};
                 });
  dispatcher.add_async(proto::method::kDaemonReload, [&context](const json::value& params, const rpc::CallContext&) {
    return reload(context, params);
  });
}

}  // namespace taskd::api
