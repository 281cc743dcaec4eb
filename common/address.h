// Addresses of a taskd endpoint: unix:PATH (or a bare path), vsock:CID:PORT, fc:PATH:PORT.
// Parsing is pure; connecting lives in client_socket.h and the daemon's listeners.
#pragma once

#include "common/error.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace taskd {

struct UnixAddress {
  std::string path;
};

// cid kVsockCidAny (written "any") is only meaningful for a listener.
inline constexpr std::uint32_t kVsockCidAny = 0xFFFFFFFFu;
struct VsockAddress {
  std::uint32_t cid = 0;
  std::uint32_t port = 0;
};

// Firecracker / Cloud Hypervisor host side: a UNIX socket plus a "CONNECT PORT" handshake.
struct FirecrackerAddress {
  std::string uds_path;
  std::uint32_t port = 0;
};

using Address = std::variant<UnixAddress, VsockAddress, FirecrackerAddress>;

Result<Address> parse_address(std::string_view text);
std::string to_string(const Address& address);

// Where taskd listens when no socket is configured: /run/taskd.sock for root, otherwise
// $XDG_RUNTIME_DIR/taskd.sock, falling back to /tmp/taskd-UID.sock.
std::string default_socket_path();

}  // namespace taskd
