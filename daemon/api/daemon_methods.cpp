// daemon.version, daemon.health, daemon.shutdown.
#include "daemon/api/api.h"

#include "daemon/rpc/dispatcher.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/rpc/server.h"
#include "proto/daemon_types.h"
#include "proto/methods.h"
#include "proto/params.h"

#include <unistd.h>

namespace taskd::api {
namespace json = boost::json;

namespace {

Result<void> expect_no_params(const json::value& params) { return proto::Fields(params).finish(); }

}  // namespace

void register_daemon_methods(rpc::Dispatcher& dispatcher, ApiContext& context) {
  dispatcher.add(proto::method::kDaemonVersion,
                 [](const json::value& params, rpc::CallContext&) -> rpc::MethodResult {
                   if (auto ok = expect_no_params(params); !ok) return ok.error();
                   proto::VersionResult result{std::string(proto::kProtocolVersion),
                                               TASKD_VERSION,
                                               {"unix", "events"}};
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
                   result.subscribers = context.events.subscriber_count();
                   return json::value_from(result);
                 });
  dispatcher.add(proto::method::kDaemonShutdown,
                 [&context](const json::value& params, rpc::CallContext&) -> rpc::MethodResult {
                   if (auto ok = expect_no_params(params); !ok) return ok.error();
                   context.request_shutdown();  // runs after this reply is queued
                   return json::value{{"ok", true}};
                 });
}

}  // namespace taskd::api
