// The RPC surface: everything a method needs from the rest of the daemon, and one function per
// method family that adds its methods to the dispatcher's table (api.cpp lists them all).
#pragma once

#include "common/error.h"
#include "daemon/api/prompt_routes.h"
#include "proto/daemon_types.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace taskd::rpc {
class Dispatcher;
class EventBus;
class Server;
}  // namespace taskd::rpc

namespace taskd::exec {
class ExecManager;
}  // namespace taskd::exec

namespace taskd::tasks {
class TaskManager;
}  // namespace taskd::tasks

namespace taskd::sessions {
class SessionManager;
}  // namespace taskd::sessions

namespace taskd::process {
class Reaper;
}
namespace taskd::supervisor {
class Supervisor;
struct ReloadPlan;
}  // namespace taskd::supervisor

namespace taskd::api {

struct ApiContext {
  rpc::EventBus& events;
  rpc::Server& server;
  supervisor::Supervisor& supervisor;
  std::chrono::steady_clock::time_point started;
  std::function<void()> request_shutdown;
  // Re-reads the config file; applies it unless dry_run. Errors: kInvalidConfig, kBadState.
  std::function<boost::asio::awaitable<Result<supervisor::ReloadPlan>>(bool dry_run)> reload;
  std::string log_file;  // the daemon's own log, for daemon.tail
  exec::ExecManager& execs;
  tasks::TaskManager& tasks;
  sessions::SessionManager& sessions;
  boost::asio::io_context& io;
  PromptRoutes prompt_routes{};  // session.prompt callers, for the turn's events
};

void register_all_methods(rpc::Dispatcher& dispatcher, ApiContext& context);

void register_daemon_methods(rpc::Dispatcher& dispatcher, ApiContext& context);
void register_events_methods(rpc::Dispatcher& dispatcher, ApiContext& context);
void register_programs_methods(rpc::Dispatcher& dispatcher, ApiContext& context);
void register_exec_methods(rpc::Dispatcher& dispatcher, ApiContext& context);
void register_tasks_methods(rpc::Dispatcher& dispatcher, ApiContext& context);
// Publishes task lifecycle changes as `task` events.
void forward_task_events(ApiContext& context);
void register_sessions_methods(rpc::Dispatcher& dispatcher, ApiContext& context);
// Publishes session lifecycle and agent output as `session` events.
void forward_session_events(ApiContext& context);
// A reload plan as daemon.reload and the `reload` event report it.
proto::ReloadReport reload_report(const supervisor::ReloadPlan& plan, bool applied);
// Publishes supervisor state changes and reaped orphans as `process` events.
void forward_process_events(ApiContext& context, process::Reaper& reaper);

}  // namespace taskd::api
