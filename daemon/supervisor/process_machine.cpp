#include "daemon/supervisor/process_machine.h"

#include <algorithm>
#include <array>
#include <span>

namespace taskd::supervisor {
namespace {

using S = ProcessState;
using E = Event;
using G = Guard;

// Every legal transition. A failed start counts against startretries first (kCountFailure runs
// before the guard is evaluated, see fire()), so with startretries = 3 a program is spawned four
// times before FATAL, exactly as supervisord does.
constexpr std::array kTable = {
    // Starting by request.
    Transition{S::kStopped, E::kStart, G::kAlways, S::kStarting, kResetBackoff | kSpawn},
    Transition{S::kExited, E::kStart, G::kAlways, S::kStarting, kResetBackoff | kSpawn},
    Transition{S::kFatal, E::kStart, G::kAlways, S::kStarting, kResetBackoff | kSpawn},
    // STARTING: up for starttime → RUNNING; an early end → BACKOFF, or FATAL when out of retries.
    Transition{S::kStarting, E::kSpawned, G::kAlways, S::kStarting, kArmStartTimer},
    Transition{S::kStarting, E::kStartTimeElapsed, G::kAlways, S::kRunning, kResetBackoff},
    Transition{S::kStarting, E::kSpawnFailed, G::kRetriesLeft, S::kBackoff,
               kCountFailure | kArmBackoffTimer},
    Transition{S::kStarting, E::kSpawnFailed, G::kRetriesExhausted, S::kFatal, kCountFailure},
    Transition{S::kStarting, E::kExited, G::kRetriesLeft, S::kBackoff,
               kCountFailure | kDisarmTimer | kArmBackoffTimer},
    Transition{S::kStarting, E::kExited, G::kRetriesExhausted, S::kFatal,
               kCountFailure | kDisarmTimer},
    Transition{S::kStarting, E::kStop, G::kAlways, S::kStopping,
               kDisarmTimer | kSignalStop | kArmStopTimer},
    // RUNNING.
    Transition{S::kRunning, E::kExited, G::kAlways, S::kExited, kSettleExit},
    Transition{S::kRunning, E::kStop, G::kAlways, S::kStopping, kSignalStop | kArmStopTimer},
    // EXITED: autorestart decides; a brief run is restarted after min_run_ms, uncounted.
    Transition{S::kExited, E::kExitSettled, G::kRestartAtOnce, S::kStarting, kSpawn},
    Transition{S::kExited, E::kExitSettled, G::kRestartPaced, S::kBackoff, kArmRestartTimer},
    // BACKOFF.
    Transition{S::kBackoff, E::kBackoffElapsed, G::kAlways, S::kStarting, kSpawn},
    Transition{S::kBackoff, E::kStop, G::kAlways, S::kStopped, kDisarmTimer | kResetBackoff},
    // STOPPING: wait for the exit, SIGKILL after stoptime (and again each stoptime after).
    Transition{S::kStopping, E::kExited, G::kAlways, S::kStopped, kDisarmTimer},
    Transition{S::kStopping, E::kStopTimeElapsed, G::kAlways, S::kStopping,
               kSignalKill | kArmStopTimer},
};

}  // namespace

std::span<const Transition> transition_table() { return kTable; }

bool ProcessMachine::exit_expected(const Exit& exit) const {
  if (exit.signaled) return false;
  return std::find(settings_.exitcodes.begin(), settings_.exitcodes.end(), exit.code) !=
         settings_.exitcodes.end();
}

bool ProcessMachine::should_restart() const {
  switch (settings_.autorestart) {
    case AutoRestart::kAlways: return true;
    case AutoRestart::kNever: return false;
    case AutoRestart::kUnexpected: return last_exit_ && !exit_expected(*last_exit_);
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
  switch (guard) {
    case Guard::kAlways: return true;
    case Guard::kRetriesLeft: return retries_left;
    case Guard::kRetriesExhausted: return !retries_left;
    case Guard::kRestartAtOnce: return should_restart() && !ran_briefly();
    case Guard::kRestartPaced: return should_restart() && ran_briefly();
  }
  return false;
}

const Transition* ProcessMachine::fire(Event event, const Exit* exit) {
  if (event == Event::kExited && exit) last_exit_ = *exit;
  for (const Transition& row : kTable) {
    if (row.from != state_ || row.event != event || !guard_holds(row.guard)) continue;
    if (row.effects & kResetBackoff) backoff_ = 0;
    if (row.effects & kCountFailure) ++backoff_;
    state_ = row.to;
    return &row;
  }
  return nullptr;
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
    case S::kUnknown: return "UNKNOWN";
  }
  return "UNKNOWN";
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
    case S::kUnknown: return 1000;
  }
  return 1000;
}

bool is_running_state(ProcessState state) {
  return state == S::kStarting || state == S::kRunning || state == S::kBackoff;
}

}  // namespace taskd::supervisor
