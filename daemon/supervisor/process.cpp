#include "daemon/supervisor/process.h"

#include "common/log.h"
#include "common/signals.h"
#include "common/wall_time.h"
#include "daemon/process/child.h"
#include "daemon/process/log_file.h"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

namespace taskd::supervisor {
namespace {

Exit exit_from_status(int status, std::int64_t ran_ms) {
  if (WIFSIGNALED(status)) return Exit{true, WTERMSIG(status), ran_ms};
  return Exit{false, WEXITSTATUS(status), ran_ms};
}

RestartPolicy restart_policy(AutoRestart autorestart) {
  switch (autorestart) {
    case AutoRestart::kNever: return RestartPolicy::kNever;
    case AutoRestart::kUnexpected: return RestartPolicy::kUnexpected;
    case AutoRestart::kAlways: return RestartPolicy::kAlways;
  }
  return RestartPolicy::kUnexpected;
}

MachineSettings settings_of(const InstanceSpec& spec) {
  MachineSettings settings;
  settings.startretries = spec.program.startretries;
  settings.autorestart = restart_policy(spec.program.autorestart);
  settings.exitcodes = spec.program.exitcodes;
  settings.starttime_ms = spec.program.starttime_ms;
  settings.name = spec.name;
  return settings;
}

std::string clock_text(std::int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm local{};
  ::localtime_r(&seconds, &local);
  char text[64];
  std::strftime(text, sizeof text, "%b %d %I:%M %p", &local);
  return text;
}

std::string uptime_text(std::int64_t ms) {
  std::int64_t s = ms / 1000;
  char text[64];
  if (s >= 86400) {
    std::snprintf(text, sizeof text, "%lld days, %lld:%02lld:%02lld",
                  static_cast<long long>(s / 86400), static_cast<long long>(s % 86400 / 3600),
                  static_cast<long long>(s % 3600 / 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60), static_cast<long long>(s % 60));
  }
  return text;
}

}  // namespace

Process::Process(ProcessHost& host, InstanceSpec spec)
    : host_(host), spec_(std::move(spec)), machine_(settings_of(spec_)), timer_(host.io) {}

Process::~Process() {
  if (pid_ > 0) {
    // Removed while still alive (reload or shutdown ran out of time): never leak the group.
    log(LogChannel::kSup).warn("killed {} (pid {}) as it was removed while running", name(), pid_);
  }
  child_.reset();  // SIGKILLs the group of a child that still runs (process/child.h)
  ++timer_generation_;
  timer_.cancel();
}

Result<void> Process::start() { return request(Event::kStart); }

Result<void> Process::stop() { return request(Event::kStop); }

void Process::shut_down() { fire(Event::kShutdown); }

Result<void> Process::request(Event event) {
  ProcessState from = state();
  std::optional<Step> step = machine_.fire(event);
  if (!step || (step->effects & kRefuse)) {
    std::string why = step ? step->message : name() + ": is " + std::string(state_name(from));
    return make_error(ErrorCode::kBadState, std::move(why))
        .with("state", std::string(state_name(from)));
  }
  execute(*step, nullptr);
  return {};
}

Result<void> Process::send_signal(int signal) {
  if (pid_ <= 0) {
    return make_error(ErrorCode::kBadState, name() + ": not running")
        .with("state", std::string(state_name(state())));
  }
  if (::kill(pid_, signal) != 0) {
    return make_error(ErrorCode::kIo, name() + ": kill: " + std::strerror(errno));
  }
  log(LogChannel::kSup)
      .info("signalled: {} (pid {}) with SIG{}", name(), pid_, signal_name(signal));
  return {};
}

void Process::fire(Event event) {
  if (std::optional<Step> step = machine_.fire(event)) execute(*step, nullptr);
}

void Process::execute(const Step& step, const Exit* exit) {
  if (step.effects & kDisarmTimer) {
    ++timer_generation_;
    timer_.cancel();
  }
  if (step.to != step.from) {
    log(LogChannel::kSup)
        .log(step.warn ? spdlog::level::warn : spdlog::level::info, "{}", step.message);
    if (host_.on_change) {
      host_.on_change(StateChange{spec_.name, spec_.group, step.from, step.to, pid_,
                                  exit ? std::optional<Exit>(*exit) : std::nullopt, step.message});
    }
  }
  if (step.effects & kSpawn) spawn();
  if (step.effects & kSignalStop) signal_group(spec_.program.stopsignal);
  if (step.effects & kSignalKill) {
    log(LogChannel::kSup)
        .warn("killing {} (pid {}) with SIGKILL: still running {} after its stop signal", name(),
              pid_, seconds_text(spec_.program.stoptime_ms));
    signal_group(SIGKILL);
  }
  if (step.effects & kArmStartTimer) arm(spec_.program.starttime_ms, Event::kStartTimeElapsed);
  if (step.effects & kArmBackoffTimer) arm(machine_.backoff_delay_ms(), Event::kBackoffElapsed);
  if (step.effects & kArmStopTimer) arm(spec_.program.stoptime_ms, Event::kStopTimeElapsed);
  if (step.effects & kArmRestartTimer) arm(machine_.restart_delay_ms(), Event::kBackoffElapsed);
  if (step.effects & kSettleExit) fire(Event::kExitSettled);
}

void Process::arm(std::int64_t delay_ms, Event event) {
  std::uint64_t generation = ++timer_generation_;
  if (delay_ms <= 0) {
    fire(event);
    return;
  }
  timer_.expires_after(std::chrono::milliseconds(delay_ms));
  // The weak token guards against a handler that was already queued when we were destroyed.
  timer_.async_wait([this, alive = std::weak_ptr<int>(lifetime_), generation,
                     event](const boost::system::error_code& ec) {
    if (ec || alive.expired() || generation != timer_generation_) return;
    fire(event);
  });
}

void Process::signal_group(int signal) {
  // Only while the leader lives: once it is reaped the group id could belong to a stranger.
  if (child_ && !child_->signal(signal) && errno != ESRCH) {
    log(LogChannel::kSup)
        .warn("failed to signal {} (pgid {}): {}", name(), pid_, std::strerror(errno));
  }
}

void Process::spawn() {
  const ProgramConfig& program = spec_.program;
  process::ChildSpec child;
  child.command = {program.cmd, program.env, program.workingdir, program.umask, program.user};
  child.base_env = {{"TASKD_PROCESS_NAME", spec_.name},
                    {"TASKD_GROUP_NAME", spec_.group},
                    {"TASKD_PROCESS_NUM", std::to_string(spec_.process_num)}};
  child.die_with_daemon = false;  // as under supervisord; a restarted taskd stops it instead
  // Helpers the process left in its group die with it: a restart never leaves old copies behind.
  child.leader_exit = process::LeaderExit::kKillGroup;
  child.stdin_pipe = program.stdin_pipe;
  child.out = output_of(program.stdout_log, "stdout");
  child.err = output_of(program.stderr_log, "stderr");
  auto spawned = process::Child::spawn(host_.io, host_.reaper, std::move(child),
                                       [this](int status) { on_exit(status); });
  if (!spawned) {
    if (std::optional<Step> step = machine_.spawn_failed(spawned.error().message))
      execute(*step, nullptr);
    return;
  }
  child_ = std::move(*spawned);
  pid_ = child_->pid();
  start_ms_ = unix_now_ms();
  started_at_ = std::chrono::steady_clock::now();
  log(LogChannel::kSup).info("spawned: '{}' with pid {}", name(), pid_);
  fire(Event::kSpawned);
}

process::Output Process::output_of(const OutputConfig& output, const char* stream) {
  if (output.kind == OutputConfig::Kind::kDiscard) return process::Output::null();
  if (output.kind == OutputConfig::Kind::kMergeIntoStdout) return process::Output::same_as_stdout();
  auto file = host_.logs.get(output.path, output.max_bytes, output.backups);
  if (!file) {
    // Keep draining so the child never blocks on a full pipe; say why its output is lost.
    log(LogChannel::kSup).error("{}; output of {} is discarded", file.error().message, name());
    return process::Output::drain();
  }
  process::FileSinkReport report;
  report.dropped_bytes = output_dropped_bytes_;
  OutputLossChange change;
  change.name = spec_.name;
  change.group = spec_.group;
  change.stream = stream;
  change.path = output.path;
  // Copies, not `this`: the pump drains until EOF and may outlive this process object; the host
  // lives as long as the supervisor.
  report.on_loss = [&host = host_, change](const process::OutputLoss& loss) {
    OutputLossChange now = change;
    now.resumed = loss.resumed;
    now.error = loss.error;
    now.dropped_bytes = loss.dropped_bytes;
    if (loss.resumed) {
      log(LogChannel::kSup)
          .warn("output of {} reaches {} again; {} bytes were dropped", now.name, now.path,
                now.dropped_bytes);
    } else {
      log(LogChannel::kSup)
          .error("{}; dropping output of {} until it can be written (retried every second)",
                 now.error, now.name);
    }
    if (host.on_output_loss) host.on_output_loss(now);
  };
  return process::Output::file_sink(*file, std::move(report));
}

void Process::on_exit(int wait_status) {
  Exit exit = exit_from_status(wait_status, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::steady_clock::now() - started_at_)
                                                .count());
  pid_ = 0;
  stop_ms_ = unix_now_ms();
  // Before the machine runs, which may spawn the next run. The reaper's handler keeps the Child
  // alive until this returns; its file sinks drain on their own.
  child_.reset();
  if (std::optional<Step> step = machine_.exited(exit)) execute(*step, &exit);
}

ProcessStatus Process::status() const {
  ProcessStatus status;
  status.name = spec_.name;
  status.group = spec_.group;
  status.state = state();
  status.pid = pid_;
  status.start_ms = start_ms_;
  status.stop_ms = stop_ms_;
  if (pid_ > 0) {
    status.uptime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started_at_)
                           .count();
  }
  status.exit = machine_.last_exit();
  status.spawn_error = machine_.spawn_error();
  status.backoff = machine_.backoff();
  status.output_dropped_bytes = *output_dropped_bytes_;
  if (spec_.program.stdout_log.kind == OutputConfig::Kind::kFile)
    status.stdout_log = spec_.program.stdout_log.path;
  if (spec_.program.stderr_log.kind == OutputConfig::Kind::kFile)
    status.stderr_log = spec_.program.stderr_log.path;
  switch (status.state) {
    case ProcessState::kRunning:
      status.description =
          "pid " + std::to_string(pid_) + ", uptime " + uptime_text(status.uptime_ms);
      break;
    case ProcessState::kBackoff:
    case ProcessState::kFatal:
      status.description = machine_.spawn_error().empty()
                               ? "unknown error (try \"tail " + name() + "\")"
                               : machine_.spawn_error();
      break;
    case ProcessState::kStopped:
    case ProcessState::kExited:
      status.description = start_ms_ ? clock_text(stop_ms_ ? stop_ms_ : start_ms_) : "Not started";
      break;
    default: break;
  }
  return status;
}

Result<std::size_t> Process::write_stdin(std::string_view data, bool eof) {
  if (pid_ <= 0) {
    return make_error(ErrorCode::kBadState, name() + ": not running")
        .with("state", std::string(state_name(state())));
  }
  if (!child_->has_stdin()) {
    return make_error(ErrorCode::kBadState,
                      name() + ": stdin is not a pipe (configure stdin = \"pipe\")");
  }
  auto written = child_->write_some(data);
  if (!written) return make_error(ErrorCode::kIo, name() + ": " + written.error().message);
  if (eof && *written == data.size()) child_->close_stdin();
  return written;
}

Result<void> Process::clear_logs() {
  for (const OutputConfig* output : {&spec_.program.stdout_log, &spec_.program.stderr_log}) {
    if (output->kind != OutputConfig::Kind::kFile) continue;
    auto file = host_.logs.get(output->path, output->max_bytes, output->backups);
    if (!file) return file.error();
    if (auto cleared = (*file)->truncate(); !cleared) return cleared;
  }
  return {};
}

}  // namespace taskd::supervisor
