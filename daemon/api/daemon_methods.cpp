// daemon.version, daemon.health, daemon.shutdown.
#include "daemon/api/api.h"

#include "daemon/api/json_helpers.h"

#include "daemon/rpc/dispatcher.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/rpc/server.h"
#include "daemon/supervisor/log_reader.h"
#include "daemon/supervisor/supervisor.h"
#include "daemon/tasks/task_manager.h"
#include "proto/daemon_types.h"
#include "proto/methods.h"
#include "proto/params.h"
#include "proto/programs_types.h"

#include <unistd.h>

namespace taskd::api {
namespace json = boost::json;

namespace {

std::vector<std::string> names_of(const std::vector<supervisor::InstanceSpec>& specs) {
  std::vector<std::string> names;
  for (const auto& spec : specs) names.push_back(spec.name);
  return names;
}

rpc::MethodResult tail_daemon_log(ApiContext& context, const json::value& params) {
  auto decoded = proto::decode_daemon_tail_params(params);
  if (!decoded) return decoded.error();
  auto slice = supervisor::read_log_slice(context.log_file, decoded->offset, decoded->length);
  if (!slice) return slice.error();
  return encode_log_slice(context.log_file, *slice);
}

boost::asio::awaitable<rpc::MethodResult> reload(ApiContext& context, json::value params) {
  auto decoded = proto::decode_reload_params(params);
  if (!decoded) co_return decoded.error();
  auto plan = co_await context.reload(decoded->dry_run);
  if (!plan) co_return plan.error();
  co_return proto::encode_reload_result(reload_report(*plan, !decoded->dry_run));
}

}  // namespace

proto::ReloadReport reload_report(const supervisor::ReloadPlan& plan, bool applied) {
  return proto::ReloadReport{applied, names_of(plan.added), names_of(plan.changed), plan.removed,
                             plan.unchanged};
}

void register_daemon_methods(rpc::Dispatcher& dispatcher, ApiContext& context) {
  dispatcher.add(proto::method::kDaemonVersion,
                 [](const json::value& params, rpc::CallContext&) -> rpc::MethodResult {
                   if (auto ok = proto::decode_no_params(params); !ok) return ok.error();
                   proto::VersionResult result{
                       std::string(proto::kProtocolVersion),
                       TASKD_VERSION,
                       {"unix", "vsock", "events", "programs", "exec", "tasks", "sessions"}};
                   return json::value_from(result);
                 });
  dispatcher.add(proto::method::kDaemonHealth,
                 [&context](const json::value& params, rpc::CallContext&) -> rpc::MethodResult {
                   if (auto ok = proto::decode_no_params(params); !ok) return ok.error();
                   proto::HealthResult result;
                   result.uptime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - context.started)
                                          .count();
                   result.pid = ::getpid();
                   result.connections = context.server.connection_count();
                   result.programs = context.supervisor.size();
                   result.programs_running = context.supervisor.running_count();
                   result.tasks = context.tasks.size();
                   result.subscribers = context.events.subscriber_count();
                   return json::value_from(result);
                 });
  dispatcher.add(proto::method::kDaemonShutdown,
                 [&context](const json::value& params, rpc::CallContext&) -> rpc::MethodResult {
                   if (auto ok = proto::decode_no_params(params); !ok) return ok.error();
                   context.request_shutdown();  // runs after this reply is queued
                   return json::value{{"ok", true}};
                 });
  dispatcher.add(proto::method::kDaemonTail,
                 [&context](const json::value& params, rpc::CallContext&) {
                   return tail_daemon_log(context, params);
                 });
  dispatcher.add_async(proto::method::kDaemonReload,
                       [&context](const json::value& params, const rpc::CallContext&) {
                         return reload(context, params);
                       });
}

}  // namespace taskd::api
