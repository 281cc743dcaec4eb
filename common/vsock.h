// AF_VSOCK basics shared by the daemon's listener and the blocking clients: the sockaddr_vm of an
// address, which errors mean "this kernel has no usable vsock", and one bounded client connect.
#pragma once

#include "common/address.h"
#include "common/connect_attempt.h"

#include <sys/socket.h>

#include <linux/vm_sockets.h>

#include <chrono>
#include <cstdint>

namespace taskd {

inline constexpr std::uint32_t kVsockCidLocal = 1;  // VMADDR_CID_LOCAL: loopback inside a guest
inline constexpr std::uint32_t kVsockCidHost = 2;   // VMADDR_CID_HOST: the hypervisor's host

sockaddr_vm make_vsock_sockaddr(std::uint32_t cid, std::uint32_t port);

// True for errno values of socket/bind/connect that mean the kernel has no vsock support or no
// transport for it (module missing, not a VM), as opposed to a failure of this one call.
bool vsock_unavailable_errno(int err);

// One connect to vsock:CID:PORT within `timeout`. "Nothing listens yet" (reset, refused, timed
// out) is retryable; no vsock in this kernel, or no such CID, is not.
AttemptResult connect_vsock_once(const VsockAddress& address, std::chrono::milliseconds timeout);

}  // namespace taskd
