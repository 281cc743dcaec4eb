#include "daemon/rpc/vsock_listener.h"

#include "common/log.h"
#include "common/vsock.h"
#include "daemon/rpc/server.h"

#include <fcntl.h>

#include <algorithm>
#include <memory>

namespace taskd::rpc {
namespace asio = boost::asio;
namespace {

std::string cid_list(std::span<const std::uint32_t> cids) {
  std::string text = "[";
  for (std::size_t i = 0; i < cids.size(); ++i) {
    text += (i ? ", " : "") + std::to_string(cids[i]);
  }
  return text + "]";
}

Result<std::string> filter_peer(LineConnection::Socket& socket,
                                const std::vector<std::uint32_t>& allowed) {
  sockaddr_vm peer{};
  socklen_t length = sizeof peer;
  if (::getpeername(socket.native_handle(), reinterpret_cast<sockaddr*>(&peer), &length) != 0 ||
      peer.svm_family != AF_VSOCK) {
    return make_error(ErrorCode::kPermissionDenied, "cannot identify the vsock peer");
  }
  return check_vsock_peer(peer.svm_cid, peer.svm_port, allowed);
}

}  // namespace

std::uint32_t effective_vsock_port(std::optional<std::uint32_t> configured, bool init_mode) {
  if (configured) return *configured;
  return init_mode ? kGuestVsockPort : 0;
}

Result<std::string> check_vsock_peer(std::uint32_t cid, std::uint32_t port,
                                     std::span<const std::uint32_t> allowed_cids) {
  std::string peer = "vsock:" + std::to_string(cid) + ":" + std::to_string(port);
  if (std::find(allowed_cids.begin(), allowed_cids.end(), cid) != allowed_cids.end()) return peer;
  return make_error(ErrorCode::kPermissionDenied, "peer " + peer + ": CID " + std::to_string(cid) +
                                                      " is not in vsock_allow_cids " +
                                                      cid_list(allowed_cids))
      .with("cid", std::to_string(cid));
}

Result<VsockListen> listen_vsock(Server& server, asio::io_context& io, std::uint32_t port,
                                 std::vector<std::uint32_t> allowed_cids) {
  sockaddr_vm address = make_vsock_sockaddr(kVsockCidAny, port);
  asio::generic::stream_protocol::endpoint endpoint(&address, sizeof address);
  auto acceptor = std::make_unique<Server::Acceptor>(io);
  std::string name = "vsock:any:" + std::to_string(port);
  boost::system::error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) {
    ::fcntl(acceptor->native_handle(), F_SETFD, FD_CLOEXEC);  // children must not inherit it
    acceptor->bind(endpoint, ec);
  }
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec && vsock_unavailable_errno(ec.value())) {
    log(LogChannel::kRpc)
        .warn("vsock unavailable, serving UNIX only address={} error={}", name, ec.message());
    return VsockListen::kUnavailable;
  }
  if (ec) return make_error(ErrorCode::kIo, "failed to listen on " + name + ": " + ec.message());
  if (allowed_cids.empty()) {
    log(LogChannel::kRpc).warn("vsock_allow_cids is empty: every vsock peer will be refused");
  }
  log(LogChannel::kRpc).info("listening address={} allow_cids={}", name, cid_list(allowed_cids));
  server.listen(std::move(acceptor), name,
                [allowed = std::move(allowed_cids)](LineConnection::Socket& socket) {
                  return filter_peer(socket, allowed);
                });
  return VsockListen::kListening;
}

}  // namespace taskd::rpc
