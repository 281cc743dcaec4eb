// The RPC surface: everything a method needs from the rest of the daemon, and one function per
// method family that adds its methods to the dispatcher's table (api.cpp lists them all).
#pragma once

#include <chrono>
#include <functional>

namespace taskd::rpc {
class Dispatcher;
class EventBus;
class Server;
}  // namespace taskd::rpc

namespace taskd::api {

struct ApiContext {
  rpc::EventBus& events;
  rpc::Server& server;
  std::chrono::steady_clock::time_point started;
  std::function<void()> request_shutdown;
};

void register_all_methods(rpc::Dispatcher& dispatcher, ApiContext& context);

void register_daemon_methods(rpc::Dispatcher& dispatcher, ApiContext& context);
void register_events_methods(rpc::Dispatcher& dispatcher, ApiContext& context);

}  // namespace taskd::api
