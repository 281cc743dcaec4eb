// The whole behaviour of one supervised process as a state × event table, after supervisord's
// supervisor/process.py. Pure: it decides the next state and the effects to carry out (spawn,
// signal, arm a timer); Process executes them. Timers and clocks live outside, so tests drive it
// with a fake clock.
//
// Restart pacing (beyond supervisord): a run shorter than min_run_ms, possible only when
// starttime is below it, that autorestart would restart is restarted after min_run_ms in
// BACKOFF instead of at once, so a program that exits at once (starttime = 0, autorestart =
// "always") starts at most about once a second and can never keep the daemon busy. It does not
// count against startretries (a program killed from outside soon after each start must keep
// being restarted, as supervisord does). With starttime >= min_run_ms every run that reached
// RUNNING was long enough, so behaviour is exactly supervisord's.
#pragma once

#include "daemon/config/config.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace taskd::supervisor {

enum class ProcessState {
  kStopped,
  kStarting,
  kRunning,
  kBackoff,
  kStopping,
  kExited,
  kFatal,
  kUnknown
};

enum class Event {
  kStart,             // start requested (user, autostart)
  kStop,              // stop requested
  kSpawned,           // fork/exec succeeded
  kSpawnFailed,       // could not start (missing binary, bad user, ...)
  kExited,            // the process ended (status in Exit)
  kStartTimeElapsed,  // up for starttime while STARTING
  kBackoffElapsed,    // backoff delay over
  kStopTimeElapsed,   // stoptime passed while STOPPING
  kExitSettled,       // internal: decide on autorestart after EXITED
};

// Effects, carried out in this order by Process.
enum Effect : unsigned {
  kNoEffect = 0,
  kResetBackoff = 1u << 0,  // a fresh run: forget earlier failures
  kCountFailure = 1u << 1,  // one more failed start
  kDisarmTimer = 1u << 2,
  kSpawn = 1u << 3,
  kSignalStop = 1u << 4,        // stopsignal to the process group
  kSignalKill = 1u << 5,        // SIGKILL to the process group
  kArmStartTimer = 1u << 6,     // starttime
  kArmBackoffTimer = 1u << 7,   // backoff seconds
  kArmStopTimer = 1u << 8,      // stoptime (and again after each SIGKILL)
  kSettleExit = 1u << 9,        // feed kExitSettled next (autorestart decision)
  kArmRestartTimer = 1u << 10,  // min_run_ms before restarting after a brief run
};
// Anything left in a process's group when the process exits is SIGKILLed by the Reaper before
// it reaps the process (in every state), so no effect here kills leftovers.

enum class Guard {
  kAlways,
  kRetriesLeft,
  kRetriesExhausted,
  kRestartAtOnce,  // autorestart says restart, and the run was long enough
  kRestartPaced,   // autorestart says restart, after a brief run: BACKOFF for min_run_ms
};

struct Transition {
  ProcessState from;
  Event event;
  Guard guard;
  ProcessState to;
  unsigned effects;
};

// How a process ended.
struct Exit {
  bool signaled = false;
  int code = 0;             // exit code, or signal number when signaled
  std::int64_t ran_ms = 0;  // how long the run lasted, from spawn to exit
};

// A run shorter than this is restarted after this long rather than at once.
constexpr std::int64_t kMinRunMs = 1000;

struct MachineSettings {
  int startretries = 3;
  AutoRestart autorestart = AutoRestart::kUnexpected;
  std::vector<int> exitcodes = {0};
  std::int64_t starttime_ms = 1000;
  std::int64_t min_run_ms = kMinRunMs;
};

class ProcessMachine {
 public:
  explicit ProcessMachine(MachineSettings settings) : settings_(std::move(settings)) {}

  // The transition that applies, or nullptr when `event` means nothing in the current state
  // (a stale timer, or a start/stop request the caller must refuse). Applies the state change
  // and the backoff bookkeeping; the caller carries out the returned effects.
  const Transition* fire(Event event, const Exit* exit = nullptr);

  ProcessState state() const { return state_; }
  int backoff() const { return backoff_; }  // failed starts since the last good run
  // Milliseconds to wait in BACKOFF: 1 s after the first failure, 2 s after the second, ...
  std::int64_t backoff_delay_ms() const { return static_cast<std::int64_t>(backoff_) * 1000; }
  // Milliseconds to wait in BACKOFF before restarting after a brief run.
  std::int64_t restart_delay_ms() const { return settings_.min_run_ms; }
  const std::optional<Exit>& last_exit() const { return last_exit_; }
  bool exit_expected(const Exit& exit) const;
  void set_settings(MachineSettings settings) { settings_ = std::move(settings); }

 private:
  bool guard_holds(Guard guard) const;
  bool should_restart() const;
  bool ran_briefly() const;

  MachineSettings settings_;
  ProcessState state_ = ProcessState::kStopped;
  int backoff_ = 0;
  std::optional<Exit> last_exit_;
};

std::string_view state_name(ProcessState state);
// supervisord's numeric state codes (STOPPED 0 ... UNKNOWN 1000), for familiarity.
int state_code(ProcessState state);
bool is_running_state(ProcessState state);  // STARTING, RUNNING, BACKOFF (supervisord's set)
std::span<const Transition> transition_table();

}  // namespace taskd::supervisor
