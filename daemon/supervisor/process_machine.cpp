#include "daemon/supervisor/process_machine.h"

#include "common/signals.h"

#include <algorithm>
#include <array>
#include <span>

namespace taskd::supervisor {
namespace {

using S = ProcessState;
using E = Event;
using G = Guard;

// Every legal transition, and every refusal of a request. A failed start counts against
// startretries first (kCountFailure runs before the guard is evaluated, see fire()), so with
// startretries = 3 a program is spawned four times before FATAL, exactly as supervisord does.
constexpr std::array kTable = {
    // Starting by request.
    Transition{S::kStopped, E::kStart, G::kOpen, S::kStarting, kResetBackoff | kSpawn,
               Say::kStarting},
    Transition{S::kExited, E::kStart, G::kOpen, S::kStarting, kResetBackoff | kSpawn,
               Say::kStarting},
    Transition{S::kFatal, E::kStart, G::kOpen, S::kStarting, kResetBackoff | kSpawn,
               Say::kStarting},
    // STARTING: up for starttime → RUNNING; an early end → BACKOFF, or FATAL when out of retries.
    Transition{S::kStarting, E::kSpawned, G::kAlways, S::kStarting, kArmStartTimer, Say::kNothing},
    Transition{S::kStarting, E::kStartTimeElapsed, G::kAlways, S::kRunning, kResetBackoff,
               Say::kEnteredRunning},
    Transition{S::kStarting, E::kSpawnFailed, G::kRetriesLeft, S::kBackoff,
               kCountFailure | kArmBackoffTimer, Say::kBackoffAfterSpawnError},
    Transition{S::kStarting, E::kSpawnFailed, G::kRetriesExhausted, S::kFatal, kCountFailure,
               Say::kGaveUp},
    Transition{S::kStarting, E::kExited, G::kRetriesLeft, S::kBackoff,
               kCountFailure | kDisarmTimer | kArmBackoffTimer, Say::kBackoffAfterExit},
    Transition{S::kStarting, E::kExited, G::kRetriesExhausted, S::kFatal,
               kCountFailure | kDisarmTimer, Say::kGaveUp},
    Transition{S::kStarting, E::kStop, G::kAlways, S::kStopping,
               kDisarmTimer | kSignalStop | kArmStopTimer, Say::kWaitingForStop},
    // RUNNING.
    Transition{S::kRunning, E::kExited, G::kAlways, S::kExited, kSettleExit, Say::kExited},
    Transition{S::kRunning, E::kStop, G::kAlways, S::kStopping, kSignalStop | kArmStopTimer,
               Say::kWaitingForStop},
    // EXITED: autorestart decides (never while shutting down, so the process stays EXITED); a
    // brief run is restarted after min_run_ms, uncounted.
    Transition{S::kExited, E::kExitSettled, G::kRestartAtOnce, S::kStarting, kSpawn,
               Say::kStarting},
    Transition{S::kExited, E::kExitSettled, G::kRestartPaced, S::kBackoff, kArmRestartTimer,
               Say::kBackoffBriefRun},
    // BACKOFF.
    Transition{S::kBackoff, E::kBackoffElapsed, G::kAlways, S::kStarting, kSpawn, Say::kStarting},
    Transition{S::kBackoff, E::kStop, G::kAlways, S::kStopped, kDisarmTimer | kResetBackoff,
               Say::kStoppedInBackoff},
    // STOPPING: wait for the exit, SIGKILL after stoptime (and again each stoptime after).
    Transition{S::kStopping, E::kExited, G::kAlways, S::kStopped, kDisarmTimer,
               Say::kStoppedByExit},
    Transition{S::kStopping, E::kStopTimeElapsed, G::kAlways, S::kStopping,
               kSignalKill | kArmStopTimer, Say::kNothing},
    // Requests that mean nothing now, and why.
    Transition{S::kStarting, E::kStart, G::kOpen, S::kStarting, kRefuse,
               Say::kRefuseAlreadyStarted},
    Transition{S::kRunning, E::kStart, G::kOpen, S::kRunning, kRefuse, Say::kRefuseAlreadyStarted},
    Transition{S::kBackoff, E::kStart, G::kOpen, S::kBackoff, kRefuse, Say::kRefuseAlreadyStarted},
    Transition{S::kStopping, E::kStart, G::kOpen, S::kStopping, kRefuse, Say::kRefuseInState},
    Transition{S::kStopped, E::kStop, G::kAlways, S::kStopped, kRefuse, Say::kRefuseNotRunning},
    Transition{S::kExited, E::kStop, G::kAlways, S::kExited, kRefuse, Say::kRefuseNotRunning},
    Transition{S::kFatal, E::kStop, G::kAlways, S::kFatal, kRefuse, Say::kRefuseNotRunning},
    Transition{S::kStopping, E::kStop, G::kAlways, S::kStopping, kRefuse,
               Say::kRefuseAlreadyStopping},
    // Shutdown, in any state: latch it; from then on every start is refused.
    Transition{S::kStopped, E::kShutdown, G::kAlways, S::kStopped, kLatchShutdown, Say::kNothing},
    Transition{S::kStarting, E::kShutdown, G::kAlways, S::kStarting, kLatchShutdown, Say::kNothing},
    Transition{S::kRunning, E::kShutdown, G::kAlways, S::kRunning, kLatchShutdown, Say::kNothing},
    Transition{S::kBackoff, E::kShutdown, G::kAlways, S::kBackoff, kLatchShutdown, Say::kNothing},
    Transition{S::kStopping, E::kShutdown, G::kAlways, S::kStopping, kLatchShutdown, Say::kNothing},
    Transition{S::kExited, E::kShutdown, G::kAlways, S::kExited, kLatchShutdown, Say::kNothing},
    Transition{S::kFatal, E::kShutdown, G::kAlways, S::kFatal, kLatchShutdown, Say::kNothing},
    Transition{S::kStopped, E::kStart, G::kClosed, S::kStopped, kRefuse, Say::kRefuseShuttingDown},
    Transition{S::kStarting, E::kStart, G::kClosed, S::kStarting, kRefuse,
               Say::kRefuseShuttingDown},
    Transition{S::kRunning, E::kStart, G::kClosed, S::kRunning, kRefuse, Say::kRefuseShuttingDown},
    Transition{S::kBackoff, E::kStart, G::kClosed, S::kBackoff, kRefuse, Say::kRefuseShuttingDown},
    Transition{S::kStopping, E::kStart, G::kClosed, S::kStopping, kRefuse,
               Say::kRefuseShuttingDown},
    Transition{S::kExited, E::kStart, G::kClosed, S::kExited, kRefuse, Say::kRefuseShuttingDown},
    Transition{S::kFatal, E::kStart, G::kClosed, S::kFatal, kRefuse, Say::kRefuseShuttingDown},
};

constexpr const char* kExitedTooQuickly = "Exited too quickly (process log may have details)";

}  // namespace

std::span<const Transition> transition_table() { return kTable; }

bool ProcessMachine::exit_expected(const Exit& exit) const {
  if (exit.signaled) return false;
  return std::find(settings_.exitcodes.begin(), settings_.exitcodes.end(), exit.code) !=
         settings_.exitcodes.end();
}

bool ProcessMachine::should_restart() const {
  switch (settings_.autorestart) {
    case RestartPolicy::kAlways: return true;
    case RestartPolicy::kNever: return false;
    case RestartPolicy::kUnexpected: return last_exit_ && !exit_expected(*last_exit_);
  }
  return false;
}

bool ProcessMachine::ran_briefly() const {
  return settings_.starttime_ms < settings_.min_run_ms && last_exit_ &&
         last_exit_->ran_ms < settings_.min_run_ms;
}

bool ProcessMachine::guard_holds(Guard guard) const {
  // Evaluated as if the failure being handled were already counted.
  bool retries_left = backoff_ + 1 <= settings_.startretries;
  bool restart = !shutting_down_ && should_restart();
  switch (guard) {
    case Guard::kAlways: return true;
    case Guard::kOpen: return !shutting_down_;
    case Guard::kClosed: return shutting_down_;
    case Guard::kRetriesLeft: return retries_left;
    case Guard::kRetriesExhausted: return !retries_left;
    case Guard::kRestartAtOnce: return restart && !ran_briefly();
    case Guard::kRestartPaced: return restart && ran_briefly();
  }
  return false;
}

std::optional<Step> ProcessMachine::exited(const Exit& exit) {
  last_exit_ = exit;
  for (const Transition& row : kTable) {
    if (row.from != state_ || row.event != Event::kExited || !guard_holds(row.guard)) continue;
    ProcessState from = state_;
    record(row, &exit);
    return Step{from, row.to, row.effects, say(row, &exit), row.to == ProcessState::kFatal};
  }
  return std::nullopt;
}

std::optional<Step> ProcessMachine::spawn_failed(std::string reason) {
  spawn_error_ = std::move(reason);
  return fire(Event::kSpawnFailed);
}

std::optional<Step> ProcessMachine::fire(Event event) {
  if (event == Event::kExited) return std::nullopt;  // only through exited(), with the status
  if (event == Event::kSpawned) spawn_error_.clear();
  for (const Transition& row : kTable) {
    if (row.from != state_ || row.event != event || !guard_holds(row.guard)) continue;
    ProcessState from = state_;
    record(row, nullptr);
    return Step{from, row.to, row.effects, say(row, nullptr), row.to == ProcessState::kFatal};
  }
  return std::nullopt;
}

// The bookkeeping of a row: state, retry count, runs, and the error supervisorctl shows.
void ProcessMachine::record(const Transition& row, const Exit* exit) {
  if (row.effects & kResetBackoff) backoff_ = 0;
  if (row.effects & kCountFailure) ++backoff_;
  if (row.effects & kLatchShutdown) shutting_down_ = true;
  if (row.to == ProcessState::kRunning && state_ != ProcessState::kRunning) ++runs_;
  switch (row.say) {
    case Say::kBackoffAfterExit:
    case Say::kBackoffBriefRun: spawn_error_ = kExitedTooQuickly; break;
    case Say::kGaveUp:
      if (exit) spawn_error_ = kExitedTooQuickly;
      break;
    case Say::kExited:
      if (exit && !exit_expected(*exit)) spawn_error_ = "Bad exit: " + describe_exit(*exit);
      break;
    default: break;
  }
  state_ = row.to;
}

// The words of a row, after record(): supervisord's log lines, taskd's refusal reasons.
std::string ProcessMachine::say(const Transition& row, const Exit* exit) const {
  const std::string& n = settings_.name;
  std::string status = exit ? describe_exit(*exit) : "";
  switch (row.say) {
    case Say::kNothing: return "";
    case Say::kStarting: return "starting: " + n;
    case Say::kEnteredRunning:
      return "success: " + n + " entered RUNNING state, process has stayed up for > than " +
             seconds_text(settings_.starttime_ms) + " (starttime)";
    case Say::kBackoffAfterExit:
      return "exited: " + n + " (" + status + "; not expected); BACKOFF, retrying in " +
             seconds_text(backoff_delay_ms());
    case Say::kBackoffAfterSpawnError:
      return "spawnerr: " + n + ": " + spawn_error_ + "; BACKOFF, retrying in " +
             seconds_text(backoff_delay_ms());
    case Say::kBackoffBriefRun:
      return "exited too quickly: " + n + " ran for less than " +
             seconds_text(settings_.min_run_ms) + "; BACKOFF, restarting in " +
             seconds_text(settings_.min_run_ms);
    case Say::kGaveUp:
      return "gave up: " + n + " entered FATAL state, too many start retries too quickly (" +
             spawn_error_ + ")";
    case Say::kExited:
      return "exited: " + n + " (" + status + "; " +
             (exit && exit_expected(*exit) ? "expected" : "not expected") + ")";
    case Say::kWaitingForStop: return "waiting for " + n + " to stop";
    case Say::kStoppedByExit: return "stopped: " + n + " (" + status + ")";
    case Say::kStoppedInBackoff: return "stopped: " + n + " (while in BACKOFF)";
    case Say::kRefuseAlreadyStarted: return n + ": already started";
    case Say::kRefuseInState: return n + ": is " + std::string(state_name(state_));
    case Say::kRefuseShuttingDown: return n + ": taskd is shutting down";
    case Say::kRefuseAlreadyStopping: return n + ": is already stopping";
    case Say::kRefuseNotRunning: return n + ": not running";
  }
  return "";
}

std::string describe_exit(const Exit& exit) {
  return exit.signaled ? "terminated by " + signal_name(exit.code)
                       : "exit status " + std::to_string(exit.code);
}

std::string seconds_text(std::int64_t ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(static_cast<double>(ms) / 1000.0) + " s";
}

std::string_view state_name(ProcessState state) {
  switch (state) {
    case S::kStopped: return "STOPPED";
    case S::kStarting: return "STARTING";
    case S::kRunning: return "RUNNING";
    case S::kBackoff: return "BACKOFF";
    case S::kStopping: return "STOPPING";
    case S::kExited: return "EXITED";
    case S::kFatal: return "FATAL";
  }
  return "STOPPED";
}

int state_code(ProcessState state) {
  switch (state) {
    case S::kStopped: return 0;
    case S::kStarting: return 10;
    case S::kRunning: return 20;
    case S::kBackoff: return 30;
    case S::kStopping: return 40;
    case S::kExited: return 100;
    case S::kFatal: return 200;
  }
  return 0;
}

bool is_running_state(ProcessState state) {
  return state == S::kStarting || state == S::kRunning || state == S::kBackoff;
}

bool is_settled(ProcessState state) {
  return state == S::kStopped || state == S::kExited || state == S::kFatal;
}

}  // namespace taskd::supervisor
