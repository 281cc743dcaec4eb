#include "common/vsock.h"

#include <cerrno>
#include <cstring>

namespace taskd {

sockaddr_vm make_vsock_sockaddr(std::uint32_t cid, std::uint32_t port) {
  sockaddr_vm address{};
  address.svm_family = AF_VSOCK;
  address.svm_cid = cid;
  address.svm_port = port;
  return address;
}

bool vsock_unavailable_errno(int err) {
  switch (err) {
    case EAFNOSUPPORT:  // no vsock module at all
    case EPROTONOSUPPORT:
    case ESOCKTNOSUPPORT:
    case ENODEV:         // vsock core without a transport
    case EADDRNOTAVAIL:  // no local CID: not a VM guest and no loopback transport
      return true;
    default: return false;
  }
}

AttemptResult connect_vsock_once(const VsockAddress& address, std::chrono::milliseconds timeout) {
  if (address.cid == kVsockCidAny) {
    return ConnectFailure{"bad address", "vsock:any is for listening; name the peer's CID", false};
  }
  UniqueFd fd(::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    int err = errno;
    return ConnectFailure{"vsock unavailable",
                          std::string("socket(AF_VSOCK): ") + std::strerror(err), false};
  }
  sockaddr_vm peer = make_vsock_sockaddr(address.cid, address.port);
  int err = connect_with_timeout(fd.get(), reinterpret_cast<const sockaddr*>(&peer), sizeof peer,
                                 timeout);
  if (err == 0) return fd;
  std::string detail = std::strerror(err);
  switch (err) {
    case ECONNRESET:
    case ECONNREFUSED:
      return ConnectFailure{
          "refused",
          detail + " (nothing listening on port " + std::to_string(address.port) + " yet?)", true};
    case ETIMEDOUT: return ConnectFailure{"timed out", detail, true};
    default:
      if (vsock_unavailable_errno(err)) return ConnectFailure{"vsock unavailable", detail, false};
      return ConnectFailure{"unreachable", detail, err == EINTR || err == EAGAIN};
  }
}

}  // namespace taskd
