#include "daemon/guest_services.h"

#include "common/address.h"
#include "common/log.h"
#include "daemon/init/pid1.h"
#include "daemon/rpc/announce.h"
#include "daemon/rpc/vsock_listener.h"

#include <time.h>

#include <csignal>

namespace taskd {
namespace {

// Time since the kernel started: the guest's boot-to-ready figure when taskd is its init.
long long boot_time_ms() {
  timespec now{};
  ::clock_gettime(CLOCK_BOOTTIME, &now);
  return static_cast<long long>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

}  // namespace

GuestServices::GuestServices(boost::asio::io_context& io) : io_(io), power_signals_(io) {}

Result<void> GuestServices::start(rpc::Server& server, const DaemonSettings& settings,
                                  bool init_mode, std::function<void()> request_shutdown) {
  request_shutdown_ = std::move(request_shutdown);
  std::uint32_t port = rpc::effective_vsock_port(settings.vsock_port, init_mode);
  if (port != 0) {
    auto listening = rpc::listen_vsock(server, io_, port, settings.vsock_allow_cids);
    if (!listening) return listening.error();
    if (*listening == rpc::VsockListen::kUnavailable) port = 0;
  }
  if (init_mode) {
    power_signals_.add(SIGUSR1);
    power_signals_.add(SIGUSR2);
    wait_for_power_signal();
    log(LogChannel::kMain).info("init: listening boot_to_ready_ms={}", boot_time_ms());
  }
  if (!settings.announce.empty()) {
    auto target = parse_address(settings.announce);  // validated by the config loader
    if (target) {
      rpc::ReadyAnnouncement announcement{rpc::read_boot_id(), TASKD_VERSION, port};
      rpc::start_announce(io_, *target, rpc::announce_line(announcement));
    }
  }
  return {};
}

void GuestServices::wait_for_power_signal() {
  power_signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    auto action = signal == SIGUSR1 ? init::PowerAction::kHalt : init::PowerAction::kPowerOff;
    log(LogChannel::kMain)
        .info("init: SIG{} received; stopping, then {}", signal == SIGUSR1 ? "USR1" : "USR2",
              init::power_action_name(action));
    init::request_power_action(action);
    if (request_shutdown_) request_shutdown_();
    wait_for_power_signal();
  });
}

}  // namespace taskd
