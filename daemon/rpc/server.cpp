#include "daemon/rpc/server.h"

#include "common/log.h"
#include "daemon/rpc/dispatcher.h"
#include "daemon/rpc/rpc_connection.h"
#include "daemon/rpc/socket_file.h"
#include "proto/jsonrpc.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>

namespace taskd::rpc {
namespace asio = boost::asio;
namespace {

Result<std::string> describe_unix_peer(LineConnection::Socket& socket) {
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    return std::string("unix:?");
  }
  return "unix:pid=" + std::to_string(credentials.pid) + ",uid=" + std::to_string(credentials.uid);
}

void log_exception(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    log(LogChannel::kRpc).error("accept loop failed: {}", e.what());
  }
}

}  // namespace

Server::Server(asio::io_context& io, Dispatcher& dispatcher, ConnectionLimits limits,
               std::size_t max_connections)
    : io_(io), dispatcher_(dispatcher), limits_(limits), max_connections_(max_connections) {}

Server::~Server() {
  stop_listening();
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [id, weak] : connections) {
    if (auto connection = weak.lock()) connection->close();
  }
}

Result<void> Server::listen_unix(const std::string& path, unsigned mode) {
  auto lock = claim_socket_path(path);
  if (!lock) return lock.error();
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  asio::generic::stream_protocol::endpoint endpoint(
      &address, offsetof(sockaddr_un, sun_path) + path.size() + 1);
  auto acceptor = std::make_unique<Acceptor>(io_);
  boost::system::error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) {
    mode_t previous = ::umask(socket_umask(mode));  // created with `mode`: no chmod to race
    acceptor->bind(endpoint, ec);
    ::umask(previous);
  }
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    ::unlink(path.c_str());
    return make_error(ErrorCode::kIo, "failed to listen on " + path + ": " + ec.message());
  }
  unix_path_ = path;
  unix_lock_ = std::move(*lock);
  log(LogChannel::kRpc).info("listening address=unix:{} mode={:04o}", path, mode);
  listen(std::move(acceptor), "unix:" + path, describe_unix_peer);
  return {};
}

void Server::listen(std::unique_ptr<Acceptor> acceptor, std::string name, PeerFilter filter) {
  listeners_.push_back(std::make_unique<Listening>(
      Listening{std::move(acceptor), std::move(name), std::move(filter)}));
  accept_loop(*listeners_.back());
}

void Server::accept_loop(Listening& listening) {
  auto loop = [](Server* self, Listening* l) -> asio::awaitable<void> {
    asio::steady_timer pause(self->io_);
    while (l->acceptor->is_open()) {
      auto [ec, socket] = co_await l->acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted || !l->acceptor->is_open()) co_return;
      if (ec) {
        log(LogChannel::kRpc).warn("failed to accept listener={} error={}", l->name, ec.message());
        pause.expires_after(std::chrono::milliseconds(100));  // EMFILE: let fds free up
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      auto peer = l->filter(socket);
      if (!peer) {
        log(LogChannel::kRpc)
            .warn("refused peer listener={} reason={}", l->name, peer.error().message);
        continue;
      }
      self->adopt(std::move(socket), std::move(*peer));
    }
  };
  asio::co_spawn(io_, loop(this, &listening), log_exception);
}

void Server::adopt(LineConnection::Socket socket, std::string peer) {
  std::uint64_t id = next_id_++;
  auto connection =
      std::make_shared<RpcConnection>(std::move(socket), limits_, id, std::move(peer), dispatcher_);
  if (connections_.size() >= max_connections_) {
    log(LogChannel::kRpc)
        .warn("refusing connection: limit reached max_connections={}", max_connections_);
    connection->start();
    connection->send(proto::serialize(
        proto::make_error(nullptr, make_error(ErrorCode::kLimitExceeded, "too many connections"))));
    connection->close_after_flush();
    return;
  }
  connections_[id] = connection;
  connection->on_close([this, id] { connections_.erase(id); });
  log(LogChannel::kRpc).debug("connection opened conn={} peer={}", id, connection->peer());
  connection->start();
}

void Server::stop_listening() {
  for (auto& listening : listeners_) {
    boost::system::error_code ignored;
    listening->acceptor->close(ignored);
  }
  if (!unix_path_.empty()) {
    ::unlink(unix_path_.c_str());
    unix_path_.clear();
  }
}

void Server::close_connections() {
  for (auto& [id, weak] : connections_) {
    if (auto connection = weak.lock()) connection->close_after_flush();
  }
}

}  // namespace taskd::rpc
