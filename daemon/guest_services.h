// The microVM side of the daemon, started by App right after the UNIX listener: the vsock
// listener, the ready announcement to the host and, in init mode, the power signals (SIGUSR1
// halt, SIGUSR2 power off) and orphan reaping. App needs one member and one call for all of it.
#pragma once

#include "common/error.h"
#include "daemon/config/config.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <functional>

namespace taskd {

namespace rpc {
class Server;
}

class GuestServices {
 public:
  explicit GuestServices(boost::asio::io_context& io);

  // Fails only for a vsock port that cannot be bound although vsock exists (in use, denied):
  // like a UNIX bind error, that ends the start. `request_shutdown` is App's orderly stop.
  Result<void> start(rpc::Server& server, const DaemonSettings& settings, bool init_mode,
                     std::function<void()> request_shutdown);

 private:
  void wait_for_power_signal();

  boost::asio::io_context& io_;
  boost::asio::signal_set power_signals_;
  std::function<void()> request_shutdown_;
};

}  // namespace taskd
