#include "daemon/rpc/server.h"

#include "common/log.h"
#include "daemon/rpc/dispatcher.h"
#include "daemon/rpc/peer_refusal.h"
#include "daemon/rpc/rpc_connection.h"
#include "daemon/rpc/socket_file.h"
#include "proto/jsonrpc.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
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

constexpr auto kMinAcceptBackoff = std::chrono::milliseconds(10);
constexpr auto kMaxAcceptBackoff = std::chrono::milliseconds(1000);

std::string refusal_line(const std::string& why) {
  return proto::serialize(proto::make_error(nullptr, make_error(ErrorCode::kLimitExceeded, why)));
}

// One error line, then close, without ever handing the peer to the dispatcher. Non-blocking: a
// fresh socket's buffer takes one line. Reading what the peer already sent first lets it see
// the line and then EOF rather than a reset.
void refuse_socket(int fd, const std::string& line) {
  std::string text = line + "\n";
  (void)::send(fd, text.data(), text.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  char sink[4096];
  for (int i = 0; i < 16 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
  }
}

UniqueFd open_spare_fd() { return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

bool out_of_fds(const boost::system::error_code& ec) {
  return ec == boost::system::error_code(EMFILE, boost::system::system_category()) ||
         ec == boost::system::error_code(ENFILE, boost::system::system_category());
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
    : io_(io),
      dispatcher_(dispatcher),
      limits_(std::move(limits)),
      max_connections_(max_connections),
      spare_fd_(open_spare_fd()) {}

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
    std::chrono::milliseconds backoff{0};
    while (l->acceptor->is_open()) {
      auto [ec, socket] = co_await l->acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted || !l->acceptor->is_open()) co_return;
      if (ec && out_of_fds(ec) && self->refuse_at_fd_limit(*l)) continue;
      if (ec) {
        // Backs off so a pending peer the kernel keeps offering cannot spin the loop.
        backoff = std::clamp(backoff * 2, kMinAcceptBackoff, kMaxAcceptBackoff);
        if (auto suppressed = self->accept_failures_.allow()) {
          log(LogChannel::kRpc)
              .warn("failed to accept listener={} error={} retry_in_ms={} suppressed={}", l->name,
                    ec.message(), backoff.count(), *suppressed);
        }
        pause.expires_after(backoff);
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      backoff = std::chrono::milliseconds(0);
      auto peer = l->filter(socket);
      if (!peer) {
        if (auto suppressed = self->peer_refusals_.allow()) {
          log(LogChannel::kRpc)
              .warn("refused peer listener={} reason={} suppressed={}", l->name,
                    peer.error().message, *suppressed);
        }
        refuse_peer(socket, peer.error());
        continue;
      }
      self->adopt(std::move(socket), std::move(*peer));
    }
  };
  asio::co_spawn(io_, loop(this, &listening), log_exception);
}

bool Server::refuse_at_fd_limit(Listening& listening) {
  if (!spare_fd_) spare_fd_ = open_spare_fd();
  if (!spare_fd_) return false;
  spare_fd_.reset();
  UniqueFd peer(::accept4(listening.acceptor->native_handle(), nullptr, nullptr,
                          SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (peer) refuse_socket(peer.get(), refusal_line("taskd is out of file descriptors"));
  bool refused = static_cast<bool>(peer);
  peer.reset();
  spare_fd_ = open_spare_fd();
  if (refused) {
    if (auto suppressed = fd_refusals_.allow()) {
      log(LogChannel::kRpc)
          .warn("refusing connection: out of file descriptors listener={} suppressed={}",
                listening.name, *suppressed);
    }
  }
  return refused;
}

void Server::adopt(LineConnection::Socket socket, std::string peer) {
  if (connections_.size() >= max_connections_) {
    if (auto suppressed = limit_refusals_.allow()) {
      log(LogChannel::kRpc)
          .warn("refusing connection: limit reached max_connections={} peer={} suppressed={}",
                max_connections_, peer, *suppressed);
    }
    refuse_socket(socket.native_handle(), refusal_line("too many connections"));
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  std::uint64_t id = next_id_++;
  auto connection =
      std::make_shared<RpcConnection>(std::move(socket), limits_, id, std::move(peer), dispatcher_);
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
