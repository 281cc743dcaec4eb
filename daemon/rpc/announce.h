// Readiness without polling: once listening, taskd connects out to `[daemon] announce` (normally
// vsock:2:PORT, which Firecracker forwards to the host socket <uds_path>_PORT) and sends one
// `event` notification {topic: daemon, type: ready, boot_id, version, ...}, then closes.
// It runs as a coroutine on the io_context and retries briefly; it never blocks the loop and
// never fails the daemon: a host that does not listen only costs a warning.
#pragma once

#include "common/address.h"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace taskd::rpc {

struct ReadyAnnouncement {
  std::string boot_id;           // /proc/sys/kernel/random/boot_id: tells a rebooted guest apart
  std::string version;           // TASKD_VERSION
  std::uint32_t vsock_port = 0;  // where the host can now connect (0: no vsock listener)
};

struct AnnouncePolicy {
  int attempts = 8;  // about 6 s in all with the delays below
  std::chrono::milliseconds first_delay{100};
  std::chrono::milliseconds max_delay{1000};
  std::chrono::milliseconds attempt_timeout{2000};
};

// Pure: the notification line, without '\n'.
std::string announce_line(const ReadyAnnouncement& announcement);

// The kernel's boot id without the newline, or "unknown" when it cannot be read.
std::string read_boot_id(const std::string& path = "/proc/sys/kernel/random/boot_id");

// `target` is a vsock: or unix: address (unix: is for hosts without vsock and for tests).
void start_announce(boost::asio::io_context& io, Address target, std::string line,
                    AnnouncePolicy policy = {});

}  // namespace taskd::rpc
