// The running daemon: owns the io_context and every long-lived part, in start/stop order.
// Only main.cpp includes this header; it keeps Asio out of it.
#pragma once

#include "daemon/config/cli.h"
#include "daemon/config/config.h"

#include <functional>
#include <memory>

namespace taskd {

class App {
 public:
  // `on_ready` runs once listening, after readiness was signalled (main detaches stdio there).
  App(Config config, CliOptions cli, std::function<void()> on_ready = {});
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Listens, signals readiness, runs the event loop until shutdown; returns the exit code.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace taskd
