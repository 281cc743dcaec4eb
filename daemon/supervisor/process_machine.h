// The whole behaviour of one supervised process as a state × event table, after supervisord's
// supervisor/process.py. Pure: each row decides the next state, the effects to carry out (spawn,
// signal, arm a timer) and what to say (the supervisord-style log line, or why a request is
// refused); Process executes the effects. Timers and clocks live outside, so tests drive it with
// a fake clock.
//
// Restart pacing (beyond supervisord): a run shorter than min_run_ms, possible only when
// starttime is below it, that autorestart would restart is restarted after min_run_ms in
// BACKOFF instead of at once, so a program that exits at once (starttime = 0, autorestart =
// "always") starts at most about once a second and can never keep the daemon busy. It does not
// count against startretries (a program killed from outside soon after each start must keep
// being restarted, as supervisord does). With starttime >= min_run_ms every run that reached
// RUNNING was long enough, so behaviour is exactly supervisord's.
//
// Shutdown: once kShutdown is fired (taskd stops everything) the machine never starts or
// restarts again; start requests are refused and an exit stays EXITED.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace taskd::supervisor {

// supervisord's states but UNKNOWN, which it never enters either.
enum class ProcessState { kStopped, kStarting, kRunning, kBackoff, kStopping, kExited, kFatal };

enum class Event {
  kStart,             // start requested (user, autostart)
  kStop,              // stop requested
  kSpawned,           // fork/exec succeeded
  kSpawnFailed,       // could not start (missing binary, bad user, ...); see spawn_failed()
  kExited,            // the process ended (status in Exit)
  kStartTimeElapsed,  // up for starttime while STARTING
  kBackoffElapsed,    // backoff delay over
  kStopTimeElapsed,   // stoptime passed while STOPPING
  kExitSettled,       // internal: decide on autorestart after EXITED
  kShutdown,          // taskd stops everything: no start or restart from now on
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
  kRefuse = 1u << 11,           // the request means nothing now: the row says why
  kLatchShutdown = 1u << 12,    // from now on nothing starts (see Guard::kOpen)
};
// Anything left in a process's group when the process exits is SIGKILLed by the Reaper before
// it reaps the process (in every state), so no effect here kills leftovers.

enum class Guard {
  kAlways,
  kOpen,    // not shutting down
  kClosed,  // shutting down
  kRetriesLeft,
  kRetriesExhausted,
  kRestartAtOnce,  // autorestart says restart, and the run was long enough (never when closed)
  kRestartPaced,   // autorestart says restart, after a brief run: BACKOFF for min_run_ms
};

// What a row says: the log line of a state change, or the reason for a refusal.
enum class Say {
  kNothing,
  kStarting,                // "starting: web"
  kEnteredRunning,          // "success: web entered RUNNING state, ..."
  kBackoffAfterExit,        // "exited: web (exit status 1; not expected); BACKOFF, retrying in 1 s"
  kBackoffAfterSpawnError,  // "spawnerr: web: <why>; BACKOFF, retrying in 1 s"
  kBackoffBriefRun,         // "exited too quickly: web ran for less than 1 s; ..."
  kGaveUp,                  // "gave up: web entered FATAL state, ..."
  kExited,                  // "exited: web (exit status 0; expected)"
  kWaitingForStop,          // "waiting for web to stop"
  kStoppedByExit,           // "stopped: web (terminated by SIGTERM)"
  kStoppedInBackoff,        // "stopped: web (while in BACKOFF)"
  kRefuseAlreadyStarted,    // "web: already started"
  kRefuseInState,           // "web: is STOPPING"
  kRefuseShuttingDown,      // "web: taskd is shutting down"
  kRefuseAlreadyStopping,   // "web: is already stopping"
  kRefuseNotRunning,        // "web: not running"
};

struct Transition {
  ProcessState from;
  Event event;
  Guard guard;
  ProcessState to;
  unsigned effects;
  Say say;
};

// How a process ended.
struct Exit {
  bool signaled = false;
  int code = 0;             // exit code, or signal number when signaled
  std::int64_t ran_ms = 0;  // how long the run lasted, from spawn to exit
};

// The machine's own copy of config's autorestart, so this header stays free of the config.
enum class RestartPolicy { kNever, kUnexpected, kAlways };

// A run shorter than this is restarted after this long rather than at once.
constexpr std::int64_t kMinRunMs = 1000;

struct MachineSettings {
  int startretries = 3;
  RestartPolicy autorestart = RestartPolicy::kUnexpected;
  std::vector<int> exitcodes = {0};
  std::int64_t starttime_ms = 1000;
  std::int64_t min_run_ms = kMinRunMs;
  std::string name = "program";  // for the messages
};

// The result of firing an event: the row that applied and its words, filled in.
struct Step {
  ProcessState from;
  ProcessState to;
  unsigned effects;
  // A state change's log line (also its `process` event's message), or with kRefuse the reason,
  // prefixed with the process name. Empty when the row says nothing.
  std::string message;
  bool warn = false;  // log the change as a warning (FATAL)
};

class ProcessMachine {
 public:
  explicit ProcessMachine(MachineSettings settings) : settings_(std::move(settings)) {}

  // The row that applies, filled in, or nullopt when `event` means nothing in the current state
  // (a stale timer, an exit that autorestart ignores). Applies the state change and the
  // bookkeeping; the caller carries out the returned effects. A refused request (kRefuse) leaves
  // the state as it was.
  std::optional<Step> fire(Event event);
  // kExited with how the process ended.
  std::optional<Step> exited(const Exit& exit);
  // kSpawnFailed with why.
  std::optional<Step> spawn_failed(std::string reason);

  ProcessState state() const { return state_; }
  int backoff() const { return backoff_; }  // failed starts since the last good run
  // Milliseconds to wait in BACKOFF: 1 s after the first failure, 2 s after the second, ...
  std::int64_t backoff_delay_ms() const { return static_cast<std::int64_t>(backoff_) * 1000; }
  // Milliseconds to wait in BACKOFF before restarting after a brief run.
  std::int64_t restart_delay_ms() const { return settings_.min_run_ms; }
  const std::optional<Exit>& last_exit() const { return last_exit_; }
  // Why the last start failed or the last run ended badly, as supervisorctl shows it; empty
  // after a spawn that worked.
  const std::string& spawn_error() const { return spawn_error_; }
  // How many times the process has reached RUNNING: a start succeeded if this grew, even when
  // the run (starttime 0) has already ended.
  std::uint64_t runs() const { return runs_; }
  bool exit_expected(const Exit& exit) const;

 private:
  bool guard_holds(Guard guard) const;
  bool should_restart() const;
  bool ran_briefly() const;
  void record(const Transition& row, const Exit* exit);
  std::string say(const Transition& row, const Exit* exit) const;

  MachineSettings settings_;
  ProcessState state_ = ProcessState::kStopped;
  int backoff_ = 0;
  bool shutting_down_ = false;
  std::uint64_t runs_ = 0;
  std::optional<Exit> last_exit_;
  std::string spawn_error_;
};

std::string_view state_name(ProcessState state);
// supervisord's numeric state codes (STOPPED 0 ... FATAL 200), for familiarity.
int state_code(ProcessState state);
bool is_running_state(ProcessState state);  // STARTING, RUNNING, BACKOFF (supervisord's set)
// Not running and not about to: STOPPED, EXITED, FATAL. What a stop waits for.
bool is_settled(ProcessState state);
std::string describe_exit(const Exit& exit);  // "exit status 1", "terminated by SIGTERM"
std::string seconds_text(std::int64_t ms);    // "1 s", "0.5 s"
std::span<const Transition> transition_table();

}  // namespace taskd::supervisor
