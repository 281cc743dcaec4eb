#include "daemon/rpc/rpc_connection.h"

#include "common/log.h"
#include "daemon/rpc/dispatcher.h"

namespace taskd::rpc {

RpcConnection::RpcConnection(Socket socket, ConnectionLimits limits, std::uint64_t id,
                             std::string peer, Dispatcher& dispatcher)
    : LineConnection(std::move(socket), limits),
      id_(id),
      peer_(std::move(peer)),
      dispatcher_(dispatcher) {}

boost::asio::awaitable<void> RpcConnection::on_line(std::string_view line) {
  std::shared_ptr<RpcConnection> self = shared();
  co_await dispatcher_.dispatch(line, self);
}

void RpcConnection::on_close(std::function<void()> hook) {
  if (hooks_ran_) {
    hook();
    return;
  }
  close_hooks_.push_back(std::move(hook));
}

void RpcConnection::on_idle_close(std::string_view why) {
  log(LogChannel::kRpc)
      .warn("closing idle connection: waited too long for {} conn={} peer={} idle_timeout_ms={}",
            why, id_, peer_, limits().idle_timeout.count());
}

void RpcConnection::on_line_too_long() {
  log(LogChannel::kRpc)
      .warn("closing connection: line over limit conn={} peer={} limit={}", id_, peer_,
            limits().max_line_bytes);
  send(Dispatcher::line_too_long_reply(limits().max_line_bytes));
}

void RpcConnection::on_closed() {
  log(LogChannel::kRpc).debug("connection closed conn={} peer={}", id_, peer_);
  hooks_ran_ = true;
  auto hooks = std::move(close_hooks_);
  close_hooks_.clear();
  for (auto& hook : hooks) hook();
}

}  // namespace taskd::rpc
