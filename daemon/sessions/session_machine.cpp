#include "daemon/sessions/session_machine.h"

#include <array>

namespace taskd::sessions {
namespace {

using S = SessionState;
using I = Input;
using G = Guard;
using R = Refusal;

constexpr std::string_view kOpenNeeds = "open needs missing, stopped or errored";
constexpr std::string_view kSwitchNeeds = "switch needs ready, idle or stopped";
constexpr std::string_view kPromptNeeds = "prompts go to the active session only";
constexpr std::string_view kStopNeeds = "stop needs ready, active, idle or errored";

// Every row, first match wins. Requests have a row in every state; a refusal keeps the state.
constexpr std::array kTable = {
    // session.open: relaunches from missing, stopped or errored; session.json first.
    Transition{S::kMissing, I::kOpen, G::kAlways, S::kMissing, kMakeRoom | kSaveRecord | kLaunch,
               R::kNone, "created"},
    Transition{S::kStopped, I::kOpen, G::kAlways, S::kStopped, kMakeRoom | kSaveRecord | kLaunch,
               R::kNone, "resumed"},
    Transition{S::kErrored, I::kOpen, G::kAlways, S::kErrored, kMakeRoom | kSaveRecord | kLaunch,
               R::kNone, "recovered"},
    Transition{S::kCreating, I::kOpen, G::kAlways, S::kCreating, kNoEffect, R::kBadState,
               kOpenNeeds},
    Transition{S::kReady, I::kOpen, G::kAlways, S::kReady, kNoEffect, R::kBadState, kOpenNeeds},
    Transition{S::kActive, I::kOpen, G::kAlways, S::kActive, kNoEffect, R::kBadState, kOpenNeeds},
    Transition{S::kIdle, I::kOpen, G::kAlways, S::kIdle, kNoEffect, R::kBadState, kOpenNeeds},

    // Launching (from open, or a switch to a stopped session).
    Transition{S::kMissing, I::kSpawned, G::kReadyLine, S::kCreating, kArmReadyDeadline | kTouch},
    Transition{S::kMissing, I::kSpawned, G::kReadyAtSpawn, S::kReady, kTouch},
    Transition{S::kStopped, I::kSpawned, G::kReadyLine, S::kCreating, kArmReadyDeadline | kTouch},
    Transition{S::kStopped, I::kSpawned, G::kReadyAtSpawn, S::kReady, kTouch},
    Transition{S::kErrored, I::kSpawned, G::kReadyLine, S::kCreating, kArmReadyDeadline | kTouch},
    Transition{S::kErrored, I::kSpawned, G::kReadyAtSpawn, S::kReady, kTouch},
    Transition{S::kMissing, I::kSpawnFailed, G::kAlways, S::kErrored, kNoEffect},
    Transition{S::kStopped, I::kSpawnFailed, G::kAlways, S::kErrored, kNoEffect},
    Transition{S::kErrored, I::kSpawnFailed, G::kAlways, S::kErrored, kNoEffect},
    Transition{S::kCreating, I::kReadyLine, G::kAlways, S::kReady, kWakeReadyWaiters},
    // A wait for ready that ends anywhere but ready (the deadline, or the agent died or was
    // stopped meanwhile) fails the open or switch and leaves the session errored.
    Transition{S::kCreating, I::kReadyWaitOver, G::kDeadlinePassed, S::kErrored, kKillAgent},
    Transition{S::kErrored, I::kReadyWaitOver, G::kAlways, S::kErrored, kKillAgent},
    Transition{S::kStopped, I::kReadyWaitOver, G::kAlways, S::kErrored, kKillAgent},

    // session.switch: a warm target at once; a stopped one resumes cold, then switches.
    Transition{S::kMissing, I::kSwitch, G::kAlways, S::kMissing, kNoEffect, R::kBadState,
               "open it first"},
    Transition{S::kCreating, I::kSwitch, G::kAlways, S::kCreating, kNoEffect, R::kBadState,
               kSwitchNeeds},
    Transition{S::kErrored, I::kSwitch, G::kAlways, S::kErrored, kNoEffect, R::kBadState,
               kSwitchNeeds},
    Transition{S::kReady, I::kSwitch, G::kAlways, S::kActive, kActivate | kTouch},
    Transition{S::kIdle, I::kSwitch, G::kAlways, S::kActive, kActivate | kTouch},
    Transition{S::kActive, I::kSwitch, G::kAlways, S::kActive, kActivate | kTouch},
    Transition{S::kStopped, I::kSwitch, G::kAlways, S::kStopped, kMakeRoom | kLaunch},
    Transition{S::kActive, I::kSwitchedAway, G::kAlways, S::kIdle, kNoEffect},

    // session.prompt: only the active session, one turn at a time.
    Transition{S::kActive, I::kPrompt, G::kTurnFree, S::kActive, kSendPrompt | kTouch},
    Transition{S::kActive, I::kPrompt, G::kTurnBusy, S::kActive, kNoEffect, R::kTurnBusy},
    Transition{S::kErrored, I::kPrompt, G::kDiedActive, S::kErrored, kNoEffect, R::kAgentDead},
    Transition{S::kErrored, I::kPrompt, G::kAlways, S::kErrored, kNoEffect, R::kBadState,
               kPromptNeeds},
    Transition{S::kMissing, I::kPrompt, G::kAlways, S::kMissing, kNoEffect, R::kBadState,
               kPromptNeeds},
    Transition{S::kCreating, I::kPrompt, G::kAlways, S::kCreating, kNoEffect, R::kBadState,
               kPromptNeeds},
    Transition{S::kReady, I::kPrompt, G::kAlways, S::kReady, kNoEffect, R::kBadState, kPromptNeeds},
    Transition{S::kIdle, I::kPrompt, G::kAlways, S::kIdle, kNoEffect, R::kBadState, kPromptNeeds},
    Transition{S::kStopped, I::kPrompt, G::kAlways, S::kStopped, kNoEffect, R::kBadState,
               kPromptNeeds},

    // The agent died on its own (an exit during a stop is the stop's).
    Transition{S::kCreating, I::kAgentExit, G::kNotStopping, S::kErrored,
               kWakeReadyWaiters | kReportDeath},
    Transition{S::kReady, I::kAgentExit, G::kNotStopping, S::kErrored,
               kWakeReadyWaiters | kReportDeath},
    Transition{S::kActive, I::kAgentExit, G::kNotStopping, S::kErrored,
               kWakeReadyWaiters | kReportDeath},
    Transition{S::kIdle, I::kAgentExit, G::kNotStopping, S::kErrored,
               kWakeReadyWaiters | kReportDeath},

    // session.stop; a second stop while one is under way is answered at once.
    Transition{S::kReady, I::kStop, G::kNotStopping, S::kReady, kStopAgent},
    Transition{S::kActive, I::kStop, G::kNotStopping, S::kActive, kStopAgent},
    Transition{S::kIdle, I::kStop, G::kNotStopping, S::kIdle, kStopAgent},
    Transition{S::kErrored, I::kStop, G::kNotStopping, S::kErrored, kStopAgent},
    Transition{S::kReady, I::kStop, G::kStopping, S::kReady, kNoEffect},
    Transition{S::kActive, I::kStop, G::kStopping, S::kActive, kNoEffect},
    Transition{S::kIdle, I::kStop, G::kStopping, S::kIdle, kNoEffect},
    Transition{S::kErrored, I::kStop, G::kStopping, S::kErrored, kNoEffect},
    Transition{S::kMissing, I::kStop, G::kAlways, S::kMissing, kNoEffect, R::kBadState, kStopNeeds},
    Transition{S::kCreating, I::kStop, G::kAlways, S::kCreating, kNoEffect, R::kBadState,
               kStopNeeds},
    Transition{S::kStopped, I::kStop, G::kAlways, S::kStopped, kNoEffect, R::kBadState, kStopNeeds},

    // The warm pool reaps only ready and idle sessions; shutdown stops every live agent.
    Transition{S::kReady, I::kEvict, G::kNotStopping, S::kReady, kStopAgent},
    Transition{S::kIdle, I::kEvict, G::kNotStopping, S::kIdle, kStopAgent},
    Transition{S::kCreating, I::kShutdown, G::kAlways, S::kCreating, kStopAgent},
    Transition{S::kReady, I::kShutdown, G::kAlways, S::kReady, kStopAgent},
    Transition{S::kActive, I::kShutdown, G::kAlways, S::kActive, kStopAgent},
    Transition{S::kIdle, I::kShutdown, G::kAlways, S::kIdle, kStopAgent},

    // A stop's end, whatever happened while the agent was being stopped.
    Transition{S::kCreating, I::kStopped, G::kAlways, S::kStopped,
               kReportStopped | kWakeReadyWaiters},
    Transition{S::kReady, I::kStopped, G::kAlways, S::kStopped, kReportStopped | kWakeReadyWaiters},
    Transition{S::kActive, I::kStopped, G::kAlways, S::kStopped,
               kReportStopped | kWakeReadyWaiters},
    Transition{S::kIdle, I::kStopped, G::kAlways, S::kStopped, kReportStopped | kWakeReadyWaiters},
    Transition{S::kErrored, I::kStopped, G::kAlways, S::kStopped,
               kReportStopped | kWakeReadyWaiters},
    Transition{S::kStopped, I::kStopped, G::kAlways, S::kStopped,
               kReportStopped | kWakeReadyWaiters},
};

bool carries_reason(Input input) {
  return input == I::kSpawnFailed || input == I::kReadyWaitOver || input == I::kAgentExit;
}

}  // namespace

std::span<const Transition> session_transition_table() { return kTable; }

bool is_request(Input input) {
  return input == I::kOpen || input == I::kSwitch || input == I::kPrompt || input == I::kStop;
}

bool SessionMachine::warm() const {
  return state_ == S::kCreating || state_ == S::kReady || state_ == S::kActive ||
         state_ == S::kIdle;
}

bool SessionMachine::guard_holds(Guard guard, const Facts& facts) const {
  switch (guard) {
    case G::kAlways: return true;
    case G::kReadyLine: return settings_.wait_ready_line;
    case G::kReadyAtSpawn: return !settings_.wait_ready_line;
    case G::kDeadlinePassed: return facts.now_ms >= ready_deadline_ms_;
    case G::kTurnFree: return !facts.turn_in_progress;
    case G::kTurnBusy: return facts.turn_in_progress;
    case G::kDiedActive: return facts.died_active;
    case G::kStopping: return stopping_;
    case G::kNotStopping: return !stopping_;
  }
  return false;
}

const Transition* SessionMachine::decide(Input input, const Facts& facts) const {
  for (const Transition& row : kTable) {
    if (row.from == state_ && row.input == input && guard_holds(row.guard, facts)) return &row;
  }
  return nullptr;
}

const Transition* SessionMachine::fire(Input input, const Facts& facts) {
  const Transition* row = decide(input, facts);
  if (!row || row->refusal != Refusal::kNone) return row;
  if (input == I::kSpawned) {
    error_.clear();
    stopping_ = false;
  }
  if (carries_reason(input)) error_ = std::string(facts.reason);
  if (row->effects & kArmReadyDeadline)
    ready_deadline_ms_ = facts.now_ms + settings_.switch_timeout_ms;
  if (row->effects & kStopAgent) stopping_ = true;
  if (input == I::kStopped) stopping_ = false;
  state_ = row->to;
  return row;
}

Error refusal_error(const Transition& row, const std::string& id, SessionState state,
                    std::string_view error) {
  std::string name(session_state_name(state));
  switch (row.refusal) {
    case R::kTurnBusy:
      return make_error(ErrorCode::kBadState,
                        "session " + id + " is still answering the previous prompt")
          .with("state", name)
          .with("id", id);
    case R::kAgentDead:
      return make_error(ErrorCode::kPiProcessDead, "session " + id + ": " + std::string(error))
          .with("id", id)
          .with("state", name);
    case R::kBadState:
    case R::kNone: break;
  }
  return make_error(ErrorCode::kBadState,
                    "session " + id + " is " + name + "; " + std::string(row.text))
      .with("state", name)
      .with("id", id);
}

std::string_view session_state_name(SessionState state) {
  switch (state) {
    case S::kMissing: return "missing";
    case S::kCreating: return "creating";
    case S::kReady: return "ready";
    case S::kActive: return "active";
    case S::kIdle: return "idle";
    case S::kErrored: return "errored";
    case S::kStopped: return "stopped";
  }
  return "missing";
}

}  // namespace taskd::sessions
