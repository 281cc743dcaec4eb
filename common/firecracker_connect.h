// The host end of a Firecracker (or Cloud Hypervisor) guest vsock: a UNIX socket on which the
// client writes "CONNECT PORT\n" and must read "OK <host port>\n" before the stream is the guest's.
// Firecracker closes the connection when nothing listens on PORT in the guest, so the caller
// retries (connect_with_retry); a reply that is not "OK <n>" is a wrong peer and is final.
#pragma once

#include "common/address.h"
#include "common/connect_attempt.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace taskd {

// How long the guest side gets to answer CONNECT (the contract: 1 s).
inline constexpr std::chrono::milliseconds kFirecrackerReplyTimeout{1000};
// A reply line longer than this is not Firecracker's ("OK 1073741824\n" is 14 bytes).
inline constexpr std::size_t kMaxFirecrackerReply = 64;

// Pure: the host-side port from a reply line without its '\n' ("OK 1073741824"), or nullopt.
std::optional<std::uint32_t> parse_connect_reply(std::string_view line);

// One attempt: connect to the UNIX socket, send CONNECT in a single write, read the OK line.
// Reads byte by byte so that nothing the guest sends after the OK line is consumed here.
AttemptResult firecracker_connect_once(const FirecrackerAddress& address,
                                       std::chrono::milliseconds time_left);

}  // namespace taskd
