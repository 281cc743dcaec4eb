// Client-side connection attempts that may have to wait for a microVM: one bounded attempt per
// transport (vsock, Firecracker's UNIX socket), and a retry loop with a short backoff around it.
// Blocking and Asio-free, like client_socket.h; taskctl and host tools use it via connect_address.
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <boost/system/result.hpp>

#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <string>

namespace taskd {

// Why one attempt failed. `step` is a short fixed phrase a user can search for ("socket missing",
// "refused", "no OK line", "bad reply", ...); `detail` says what exactly happened.
struct ConnectFailure {
  std::string step;
  std::string detail;
  bool retryable = true;  // false when trying again cannot help (no vsock, a non-Firecracker peer)
};

using AttemptResult = boost::system::result<UniqueFd, ConnectFailure>;
using Attempt = std::function<AttemptResult(std::chrono::milliseconds time_left)>;

// Calls `attempt` until it succeeds, fails for good, or `timeout` has passed, sleeping 10 ms,
// 20 ms, ... up to 250 ms in between: a booting guest starts listening at an unknown moment, and
// Firecracker drops a host connection at once while nothing listens in the guest. The error
// reads "cannot connect to TARGET: STEP: DETAIL (N attempts in S s)".
Result<UniqueFd> connect_with_retry(const std::string& target, const Attempt& attempt,
                                    std::chrono::milliseconds timeout);

// connect(2) bounded by `timeout`; returns 0 or an errno value (ETIMEDOUT when time ran out).
// The socket is blocking again afterwards.
int connect_with_timeout(int fd, const sockaddr* address, socklen_t length,
                         std::chrono::milliseconds timeout);

}  // namespace taskd
