// Listeners and the set of live connections. Accepts on UNIX and vsock sockets through one
// generic stream acceptor type, so every transport shares RpcConnection. A connection over
// max_connections, or one that arrives while taskd is out of file descriptors (accepted through
// a spare fd kept for this), gets one LIMIT_EXCEEDED line and is closed without reading from it.
#pragma once

#include "common/error.h"
#include "common/line_connection.h"
#include "common/unique_fd.h"
#include "daemon/rpc/log_throttle.h"

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace taskd::rpc {

class Dispatcher;
class RpcConnection;

class Server {
 public:
  using Acceptor = boost::asio::basic_socket_acceptor<boost::asio::generic::stream_protocol>;
  // Decides whether a peer may talk to us; returns its description or an error to log.
  using PeerFilter = std::function<Result<std::string>(LineConnection::Socket&)>;

  Server(boost::asio::io_context& io, Dispatcher& dispatcher, ConnectionLimits limits,
         std::size_t max_connections);
  ~Server();

  // Claims the path (lock file, stale socket check), binds with `mode`, starts accepting.
  Result<void> listen_unix(const std::string& path, unsigned mode);
  // Starts accepting on an already bound and listening acceptor.
  void listen(std::unique_ptr<Acceptor> acceptor, std::string name, PeerFilter filter);

  // Stops accepting and removes the UNIX socket file.
  void stop_listening();
  // Flushes what each connection has queued, then closes it.
  void close_connections();

  std::size_t connection_count() const { return connections_.size(); }
  const std::string& unix_path() const { return unix_path_; }

 private:
  struct Listening {
    std::unique_ptr<Acceptor> acceptor;
    std::string name;
    PeerFilter filter;
  };

  void accept_loop(Listening& listening);
  void adopt(LineConnection::Socket socket, std::string peer);
  // At the fd limit: frees the spare fd, accepts one pending peer with it, refuses and closes
  // it, then takes the spare back. False when there was nothing to accept or no spare.
  bool refuse_at_fd_limit(Listening& listening);

  boost::asio::io_context& io_;
  Dispatcher& dispatcher_;
  ConnectionLimits limits_;
  std::size_t max_connections_;
  std::vector<std::unique_ptr<Listening>> listeners_;
  std::map<std::uint64_t, std::weak_ptr<RpcConnection>> connections_;
  std::uint64_t next_id_ = 1;
  std::string unix_path_;
  UniqueFd unix_lock_;
  UniqueFd spare_fd_;
  LogThrottle accept_failures_{std::chrono::seconds(10)};
  LogThrottle fd_refusals_{std::chrono::seconds(10)};
  LogThrottle limit_refusals_{std::chrono::seconds(10)};
  LogThrottle peer_refusals_{std::chrono::seconds(10)};
};

}  // namespace taskd::rpc
