#include "daemon/app.h"

#include "common/address.h"
#include "common/log.h"
#include "common/log_failure.h"
#include "daemon/api/api.h"
#include "daemon/config/runtime_check.h"
#include "daemon/exec/exec_manager.h"
#include "daemon/guest_services.h"
#include "daemon/process/child_records.h"
#include "daemon/process/reaper.h"
#include "daemon/readiness.h"
#include "daemon/rpc/dispatcher.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/rpc/server.h"
#include "daemon/sessions/session_manager.h"
#include "daemon/supervisor/supervisor.h"
#include "daemon/tasks/task_manager.h"
#include "proto/daemon_types.h"
#include "proto/methods.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <csignal>

namespace taskd {
namespace asio = boost::asio;

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ",") + name;
  return out.empty() ? "-" : out;
}

}  // namespace

struct App::Impl {
  // Declared first so it is destroyed last: pending coroutines die before the objects they use.
  asio::io_context io{1};
  Config config;
  CliOptions cli;
  std::function<void()> on_ready;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  rpc::Dispatcher dispatcher{io.get_executor()};
  rpc::EventBus events;
  rpc::Server server{
      io, dispatcher,
      ConnectionLimits{config.daemon.max_line_bytes, config.daemon.max_queue_bytes,
                       std::chrono::milliseconds(config.daemon.idle_timeout_ms),
                       std::make_shared<QueueBudget>(config.daemon.max_total_queue_bytes)},
      config.daemon.max_connections};
  process::Reaper reaper{io};
  supervisor::Supervisor supervisor{io, reaper};
  exec::ExecManager execs{io, reaper, config.exec};
  tasks::TaskManager tasks{io, reaper, config.daemon.data_dir};
  sessions::SessionManager sessions{io, reaper, config.sessions};
  asio::signal_set signals{io, SIGTERM, SIGINT, SIGHUP};
  api::ApiContext api{events,
                      server,
                      supervisor,
                      started,
                      [this] { request_shutdown("rpc"); },
                      [this](bool dry_run) { return reload(dry_run); },
                      config.daemon.log_file,
                      execs,
                      tasks,
                      sessions,
                      io};
  GuestServices guest{io};  // vsock, ready announcement, init signals (guest_services.h)
  bool shutting_down = false;
  int exit_code = kExitOk;

  Impl(Config c, CliOptions o, std::function<void()> ready)
      : config(std::move(c)), cli(std::move(o)), on_ready(std::move(ready)) {}

  Result<void> start() {
    if (auto checked = check_runtime(config); !checked) return checked.error();
    auto instances = supervisor::expand_instances(config.programs);
    if (!instances) return instances.error();
    supervisor.configure(*instances);
    api::register_all_methods(dispatcher, api);
    api::forward_process_events(api, reaper);
    api::forward_task_events(api);
    api::forward_session_events(api);
    tasks.load();
    sessions.load();
    auto address = parse_address(config.daemon.socket);
    if (!address) return address.error();
    if (auto listening =
            server.listen_unix(std::get<UnixAddress>(*address).path, config.daemon.socket_mode);
        !listening) {
      return listening.error();
    }
    stop_previous_children();  // holding the socket lock: they are not another live taskd's
    auto guest_started = guest.start(server, config.daemon, cli.init_mode,
                                     [this] { request_shutdown("init signal"); });
    if (!guest_started) return guest_started.error();
    wait_for_signal();
    supervisor.start_autostart();
    return {};
  }

  // Children a killed taskd left behind, before anything is spawned again (child_records.h).
  void stop_previous_children() {
    std::string dir = config.daemon.data_dir + "/children";
    process::child_records::stop_survivors(dir, process::child_records::kSurvivorGrace);
    if (auto on = process::child_records::enable(dir); !on) {
      log(LogChannel::kSup).error("{}; children are not recorded", on.error().message);
    }
  }

  void wait_for_signal() {
    signals.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        log(LogChannel::kCfg).info("SIGHUP received: reloading {}", config.path);
        asio::co_spawn(io, reload(false), LogFailure(LogChannel::kCfg, "reload"));
      } else {
        request_shutdown(signal == SIGTERM ? "SIGTERM" : "SIGINT");
      }
      wait_for_signal();
    });
  }

  // Re-reads the config file. An invalid file changes nothing; the error has file:line.
  asio::awaitable<Result<supervisor::ReloadPlan>> reload(bool dry_run) {
    if (supervisor.reloading() || shutting_down) {
      co_return make_error(ErrorCode::kBadState, "a reload or shutdown is already in progress");
    }
    if (config.path.empty()) {
      co_return make_error(ErrorCode::kInvalidConfig,
                           "taskd runs on built-in defaults; no file to reload");
    }
    auto next = load_config(config.path);
    if (next) {
      if (auto checked = check_runtime(*next); !checked) next = checked.error();
    }
    Result<std::vector<supervisor::InstanceSpec>> instances =
        next ? supervisor::expand_instances(next->programs)
             : Result<std::vector<supervisor::InstanceSpec>>(next.error());
    if (!instances) {
      log(LogChannel::kCfg)
          .error("reload rejected, keeping the running config: {}", instances.error().message);
      co_return instances.error();
    }
    supervisor::ReloadPlan plan = supervisor.plan(*instances);
    if (dry_run) co_return plan;
    proto::ReloadReport report = api::reload_report(plan, true);
    log(LogChannel::kCfg)
        .info("reload: added={} changed={} removed={} unchanged={}", join(report.added),
              join(report.changed), join(report.removed), report.unchanged.size());
    if (next->daemon.log_level != config.daemon.log_level) {
      LogOptions options = log_options(config.daemon, cli.foreground);  // keeps the rotation
      options.level = next->daemon.log_level;
      (void)setup_logging(options);
    }
    if (!(next->daemon == config.daemon)) {
      log(LogChannel::kCfg).warn("[daemon] settings other than log_level apply after a restart");
    }
    config.programs = next->programs;
    config.daemon.log_level = next->daemon.log_level;
    events.publish(proto::topic::kDaemon, "reload", proto::encode_reload_event(report));
    co_await supervisor.apply(plan, *instances);
    co_return plan;
  }

  void request_shutdown(const char* reason) {
    if (shutting_down) return;
    shutting_down = true;
    log(LogChannel::kMain).info("shutting down reason={}", reason);
    // Posted so that a daemon.shutdown reply is queued before connections are flushed.
    asio::post(io, [this] {
      // A shutdown that throws still ends the daemon (the Process destructors kill what is left).
      asio::co_spawn(io, shutdown(), LogFailure(LogChannel::kMain, "shutdown", [this] {
                       stop_loop(kExitFailure);
                     }));
    });
  }

  void stop_loop(int code) {
    exit_code = code;
    signals.cancel();
    io.stop();
  }

  asio::awaitable<void> shutdown() {
    server.stop_listening();
    events.publish(proto::topic::kDaemon, "shutdown", {});
    execs.cancel_all();
    co_await sessions.stop_all();
    co_await tasks.stop_all();
    co_await supervisor.stop_all();
    server.close_connections();
    asio::steady_timer wait(io);
    for (int i = 0; i < 100 && server.connection_count() > 0; ++i) {
      wait.expires_after(std::chrono::milliseconds(10));
      co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    stop_loop(kExitOk);
  }
};

App::App(Config config, CliOptions cli, std::function<void()> on_ready)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(cli), std::move(on_ready))) {}

App::~App() = default;

int App::run() {
  if (auto started = impl_->start(); !started) {
    log(LogChannel::kMain).error("{}", started.error().message);
    if (started.error().code == ErrorCode::kAlreadyExists) return kExitAlreadyRunning;
    return started.error().code == ErrorCode::kInvalidConfig ? kExitBadConfig : kExitFailure;
  }
  log(LogChannel::kMain)
      .info("ready pid={} version={} programs={}", ::getpid(), TASKD_VERSION,
            impl_->supervisor.size());
  notify_ready_fd(impl_->cli.ready_fd);
  notify_ready_fd(impl_->cli.daemon_pipe_fd);
  notify_systemd("READY=1\nMAINPID=" + std::to_string(::getpid()));
  if (impl_->on_ready) impl_->on_ready();
  impl_->io.run();
  log(LogChannel::kMain).info("stopped");
  return impl_->exit_code;
}

}  // namespace taskd
