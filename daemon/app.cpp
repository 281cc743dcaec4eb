#include "daemon/app.h"

#include "common/address.h"
#include "common/log.h"
#include "daemon/api/api.h"
#include "daemon/guest_services.h"
#include "daemon/readiness.h"
#include "daemon/rpc/dispatcher.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/rpc/server.h"
#include "proto/methods.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <csignal>

namespace taskd {
namespace asio = boost::asio;

struct App::Impl {
  // Declared first so it is destroyed last: pending coroutines die before the objects they use.
  asio::io_context io{1};
  Config config;
  CliOptions cli;
  std::function<void()> on_ready;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  rpc::Dispatcher dispatcher{io.get_executor()};
  rpc::EventBus events;
  rpc::Server server{io, dispatcher,
                     ConnectionLimits{config.daemon.max_line_bytes, config.daemon.max_queue_bytes},
                     config.daemon.max_connections};
  asio::signal_set signals{io, SIGTERM, SIGINT, SIGHUP};
  api::ApiContext api{events, server, started, [this] { request_shutdown("rpc"); }};
  GuestServices guest{io};  // vsock, ready announcement, init signals (issue 5)
  bool shutting_down = false;
  int exit_code = kExitOk;

  Impl(Config c, CliOptions o, std::function<void()> ready)
      : config(std::move(c)), cli(std::move(o)), on_ready(std::move(ready)) {}

  Result<void> start() {
    api::register_all_methods(dispatcher, api);
    auto address = parse_address(config.daemon.socket);
    if (!address) return address.error();
    if (auto listening = server.listen_unix(std::get<UnixAddress>(*address).path,
                                            config.daemon.socket_mode);
        !listening) {
      return listening.error();
    }
    auto guest_started = guest.start(server, config.daemon, cli.init_mode,
                                     [this] { request_shutdown("init signal"); });
    if (!guest_started) return guest_started.error();
    wait_for_signal();
    return {};
  }

  void wait_for_signal() {
    signals.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        log(LogChannel::kMain).info("SIGHUP received; nothing to reload yet");
      } else {
        request_shutdown(signal == SIGTERM ? "SIGTERM" : "SIGINT");
      }
      wait_for_signal();
    });
  }

  void request_shutdown(const char* reason) {
    if (shutting_down) return;
    shutting_down = true;
    log(LogChannel::kMain).info("shutting down reason={}", reason);
    // Posted so that a daemon.shutdown reply is queued before connections are flushed.
    asio::post(io, [this] { asio::co_spawn(io, shutdown(), asio::detached_t{}); });
  }

  asio::awaitable<void> shutdown() {
    server.stop_listening();
    events.publish(proto::topic::kDaemon, "shutdown", {});
    server.close_connections();
    asio::steady_timer wait(io);
    for (int i = 0; i < 100 && server.connection_count() > 0; ++i) {
      wait.expires_after(std::chrono::milliseconds(10));
      co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    signals.cancel();
    io.stop();
  }
};

App::App(Config config, CliOptions cli, std::function<void()> on_ready)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(cli), std::move(on_ready))) {}

App::~App() = default;

int App::run() {
  if (auto started = impl_->start(); !started) {
    log(LogChannel::kMain).error("{}", started.error().message);
    return started.error().code == ErrorCode::kAlreadyExists ? kExitAlreadyRunning : kExitFailure;
  }
  log(LogChannel::kMain).info("ready pid={} version={}", ::getpid(), TASKD_VERSION);
  notify_ready_fd(impl_->cli.ready_fd);
  notify_ready_fd(impl_->cli.daemon_pipe_fd);
  notify_systemd("READY=1\nMAINPID=" + std::to_string(::getpid()));
  if (impl_->on_ready) impl_->on_ready();
  impl_->io.run();
  log(LogChannel::kMain).info("stopped");
  return impl_->exit_code;
}

}  // namespace taskd
