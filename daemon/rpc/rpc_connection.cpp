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

void RpcConnection::on_line(std::string_view line) { dispatcher_.dispatch(line, shared()); }

void RpcConnection::on_line_too_long() {
  log(LogChannel::kRpc)
      .warn("closing connection: line over limit conn={} peer={} limit={}", id_, peer_,
            limits().max_line_bytes);
  send(Dispatcher::line_too_long_reply(limits().max_line_bytes));
}

void RpcConnection::on_closed() {
  log(LogChannel::kRpc).debug("connection closed conn={} peer={}", id_, peer_);
  auto hooks = std::move(close_hooks_);
  close_hooks_.clear();
  for (auto& hook : hooks) hook();
}

}  // namespace taskd::rpc
