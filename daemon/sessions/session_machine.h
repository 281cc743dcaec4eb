// The whole lifecycle of one agent session as a state × input table, in the style of
// supervisor/process_machine. Pure: it decides the next state, the effects SessionManager carries
// out (save, launch, activate, stop, ...) and, for a request it must refuse, the error to reply
// with. Clocks live outside: inputs carry `now` (steady milliseconds), so tests use a fake clock.
//
//   missing → creating → ready → active ⇄ idle → errored / stopped
//
// Facts that span sessions (which one is active, whether the active one died) are worked out by
// SessionManager and passed in with the input, so one session's table never reads another's.
#pragma once

#include "common/error.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace taskd::sessions {

enum class SessionState { kMissing, kCreating, kReady, kActive, kIdle, kErrored, kStopped };
std::string_view session_state_name(SessionState state);

enum class Input {
  // Requests: every state has a row, either allowed or a refusal.
  kOpen,    // session.open
  kSwitch,  // session.switch (checked when asked, fired again when the switch runs)
  kPrompt,  // session.prompt aimed at this session
  kStop,    // session.stop
  // Happenings: a state without a row ignores them (stale or meaningless there).
  kSpawned,        // the agent started
  kSpawnFailed,    // the agent could not be started (reason)
  kReadyLine,      // the agent printed {"type":"ready"}
  kReadyWaitOver,  // the wait for ready ended: deadline passed, or the agent died or stopped
  kSwitchedAway,   // another session became the active one
  kAgentExit,      // the agent died on its own (reason)
  kEvict,          // the warm pool needs room: only ready and idle sessions can give it
  kShutdown,       // the daemon stops
  kStopped,        // the agent is gone after a stop (requested, reaped or shutdown)
};

// Effects, carried out by SessionManager in this order.
enum Effect : unsigned {
  kNoEffect = 0,
  kMakeRoom = 1u << 0,           // reap the least recently used warm session if at max_warm
  kSaveRecord = 1u << 1,         // session.json on disk before anything is launched
  kLaunch = 1u << 2,             // start the agent; feed kSpawned or kSpawnFailed
  kArmReadyDeadline = 1u << 3,   // wait for the ready line until now + switch_timeout
  kKillAgent = 1u << 4,          // drop the agent at once (SIGKILL to its group)
  kStopAgent = 1u << 5,          // stop signal, SIGKILL after stop_grace; then feed kStopped
  kActivate = 1u << 6,           // the previous active one is switched away; task_ready
  kSendPrompt = 1u << 7,         // a prompt line to the agent; a turn begins
  kReportDeath = 1u << 8,        // task_error PI_PROCESS_DEAD; an active session dies active
  kReportStopped = 1u << 9,      // task_stopped; no longer the active session
  kWakeReadyWaiters = 1u << 10,  // whoever waits for ready looks again
  kTouch = 1u << 11,             // last activity = now (wall time, for LRU and session.state)
};

enum class Guard {
  kAlways,
  kReadyLine,       // [sessions] ready = "line": creating until the agent says so
  kReadyAtSpawn,    // ready as soon as it runs
  kDeadlinePassed,  // now >= the ready deadline
  kTurnFree,        // the agent has no turn in progress
  kTurnBusy,
  kDiedActive,  // this session was active when its agent died, and nothing is active since
  kStopping,    // a stop of its agent is under way
  kNotStopping,
};

// What a refused request replies.
enum class Refusal {
  kNone,
  kBadState,   // BAD_STATE "session ID is STATE; TEXT", data.state, data.id
  kTurnBusy,   // BAD_STATE: the previous prompt is still being answered
  kAgentDead,  // PI_PROCESS_DEAD with the reason the agent died
};

struct Transition {
  SessionState from;
  Input input;
  Guard guard;
  SessionState to;
  unsigned effects;
  Refusal refusal = Refusal::kNone;
  // A refusal: what the request needs. An allowed open: the reply's mode (created, resumed,
  // recovered).
  std::string_view text = {};
};

// What an input carries besides its kind.
struct Facts {
  std::int64_t now_ms = 0;        // steady clock
  bool turn_in_progress = false;  // the agent link has an open turn
  bool died_active = false;       // see Guard::kDiedActive
  std::string_view reason = {};   // kSpawnFailed, kAgentExit, kReadyWaitOver: becomes error()
};

struct MachineSettings {
  bool wait_ready_line = false;
  std::int64_t switch_timeout_ms = 5000;
};

class SessionMachine {
 public:
  explicit SessionMachine(MachineSettings settings, SessionState state = SessionState::kMissing)
      : settings_(settings), state_(state) {}

  // The row that applies, or nullptr when a happening means nothing in this state. A refusal is
  // a row too (its state does not change). decide() only looks; fire() also applies the row.
  const Transition* decide(Input input, const Facts& facts) const;
  const Transition* fire(Input input, const Facts& facts);

  SessionState state() const { return state_; }
  const std::string& error() const { return error_; }  // why it is errored
  bool stopping() const { return stopping_; }
  std::int64_t ready_deadline_ms() const { return ready_deadline_ms_; }
  // Has (or is starting) a live agent: counts against max_warm.
  bool warm() const;

 private:
  bool guard_holds(Guard guard, const Facts& facts) const;

  MachineSettings settings_;
  SessionState state_;
  std::string error_;
  bool stopping_ = false;
  std::int64_t ready_deadline_ms_ = 0;
};

std::span<const Transition> session_transition_table();
bool is_request(Input input);
// The reply to a refused request (row->refusal != kNone) for session `id` in `state`.
Error refusal_error(const Transition& row, const std::string& id, SessionState state,
                    std::string_view error);

}  // namespace taskd::sessions
