// Which connection prompted each session's turn in progress, so that the turn's agent_output,
// agent_end (and a task_error that ends it) reach the caller as exec.run's stream does, whether or
// not it subscribed to `session`. One entry per session at most; dropped when the turn ends.
#pragma once

#include <map>
#include <memory>
#include <string>

namespace taskd::rpc {
class RpcConnection;
}  // namespace taskd::rpc

namespace taskd::api {

class PromptRoutes {
 public:
  void set(const std::string& session_id, std::weak_ptr<rpc::RpcConnection> connection) {
    routes_[session_id] = std::move(connection);
  }
  // The prompting connection of `session_id`'s turn, or null (none, or it closed).
  std::shared_ptr<rpc::RpcConnection> find(const std::string& session_id) const {
    auto it = routes_.find(session_id);
    return it == routes_.end() ? nullptr : it->second.lock();
  }
  void clear(const std::string& session_id) { routes_.erase(session_id); }

 private:
  std::map<std::string, std::weak_ptr<rpc::RpcConnection>> routes_;
};

}  // namespace taskd::api
