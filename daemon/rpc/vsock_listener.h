// The AF_VSOCK listener: binds vsock:any:PORT and hands the acceptor to Server::listen with a CID
// filter, so a vsock peer gets exactly the RpcConnection a UNIX peer gets. A kernel without vsock
// is not an error (taskd also runs outside VMs): it is logged once and UNIX keeps serving.
#pragma once

#include "common/error.h"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace taskd::rpc {

class Server;

// The port the host's tools expect a guest's taskd on (SPEC section 3).
inline constexpr std::uint32_t kGuestVsockPort = 52;

// The configured vsock_port, or the default: 52 when taskd is a guest's init (PID 1 or --init),
// where it is the VM's control plane, else 0 (off) so a workstation never exposes taskd to its
// hypervisor by surprise. An explicit 0 disables vsock everywhere.
std::uint32_t effective_vsock_port(std::optional<std::uint32_t> configured, bool init_mode);

// Pure: "vsock:CID:PORT" for a peer whose CID is allowed, else an error naming the CID and the
// allow list (the caller logs it and closes the connection).
Result<std::string> check_vsock_peer(std::uint32_t cid, std::uint32_t port,
                                     std::span<const std::uint32_t> allowed_cids);

enum class VsockListen { kListening, kUnavailable };

// Binds vsock:any:`port` and starts accepting through `server`. kUnavailable (already logged)
// when this kernel has no vsock; an error for anything else (port in use, permission).
Result<VsockListen> listen_vsock(Server& server, boost::asio::io_context& io, std::uint32_t port,
                                 std::vector<std::uint32_t> allowed_cids);

}  // namespace taskd::rpc
