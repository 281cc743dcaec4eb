// The session state table, driven as SessionManager drives it but with a fake clock: every
// request refusal, the ready deadline, the episode an RL trainer runs, and the warm pool's choice.
#include "daemon/sessions/session_machine.h"
#include "daemon/sessions/warm_pool.h"

#include <gtest/gtest.h>

#include <vector>

namespace taskd::sessions {
namespace {

using S = SessionState;
using I = Input;

constexpr MachineSettings kLineReady{.wait_ready_line = true, .switch_timeout_ms = 5000};
constexpr MachineSettings kSpawnReady{.wait_ready_line = false, .switch_timeout_ms = 5000};

constexpr S kAllStates[] = {S::kMissing, S::kCreating, S::kReady,  S::kActive,
                            S::kIdle,    S::kErrored,  S::kStopped};
constexpr I kRequests[] = {I::kOpen, I::kSwitch, I::kPrompt, I::kStop};

Facts at(std::int64_t now_ms) { return Facts{.now_ms = now_ms}; }

// A machine in `state`, with a stop under way when `stopping`.
SessionMachine in_state(S state, bool stopping = false) {
  SessionMachine machine(kSpawnReady, state);
  if (stopping) {
    const Transition* row = machine.fire(I::kShutdown, at(0));
    EXPECT_TRUE(row && machine.stopping()) << session_state_name(state);
  }
  return machine;
}

TEST(SessionMachine, EveryRequestHasARowInEveryState) {
  for (S state : kAllStates) {
    for (I input : kRequests) {
      for (bool busy : {false, true}) {
        for (bool died : {false, true}) {
          Facts facts{.turn_in_progress = busy, .died_active = died};
          SessionMachine machine(kSpawnReady, state);
          EXPECT_NE(machine.decide(input, facts), nullptr)
              << session_state_name(state) << " input " << static_cast<int>(input);
        }
      }
    }
  }
}

TEST(SessionMachine, RefusalsKeepTheStateAndHaveNoEffects) {
  for (const Transition& row : session_transition_table()) {
    if (row.refusal == Refusal::kNone) continue;
    EXPECT_EQ(row.from, row.to);
    EXPECT_EQ(row.effects, kNoEffect);
    EXPECT_TRUE(is_request(row.input));
  }
}

struct RefusalCase {
  S state;
  I input;
  Facts facts;
  ErrorCode code;
  std::string message;
};

TEST(SessionMachine, EveryRefusalRepliesWithItsError) {
  const std::vector<RefusalCase> cases = {
      {S::kCreating,
       I::kOpen,
       {},
       ErrorCode::kBadState,
       "session t is creating; open needs missing, stopped or errored"},
      {S::kReady,
       I::kOpen,
       {},
       ErrorCode::kBadState,
       "session t is ready; open needs missing, stopped or errored"},
      {S::kActive,
       I::kOpen,
       {},
       ErrorCode::kBadState,
       "session t is active; open needs missing, stopped or errored"},
      {S::kIdle,
       I::kOpen,
       {},
       ErrorCode::kBadState,
       "session t is idle; open needs missing, stopped or errored"},
      {S::kMissing, I::kSwitch, {}, ErrorCode::kBadState, "session t is missing; open it first"},
      {S::kCreating,
       I::kSwitch,
       {},
       ErrorCode::kBadState,
       "session t is creating; switch needs ready, idle or stopped"},
      {S::kErrored,
       I::kSwitch,
       {},
       ErrorCode::kBadState,
       "session t is errored; switch needs ready, idle or stopped"},
      {S::kActive,
       I::kPrompt,
       {.turn_in_progress = true},
       ErrorCode::kBadState,
       "session t is still answering the previous prompt"},
      {S::kErrored,
       I::kPrompt,
       {.died_active = true},
       ErrorCode::kPiProcessDead,
       "session t: agent died: exit status 3"},
      {S::kErrored,
       I::kPrompt,
       {},
       ErrorCode::kBadState,
       "session t is errored; prompts go to the active session only"},
      {S::kMissing,
       I::kPrompt,
       {},
       ErrorCode::kBadState,
       "session t is missing; prompts go to the active session only"},
      {S::kCreating,
       I::kPrompt,
       {},
       ErrorCode::kBadState,
       "session t is creating; prompts go to the active session only"},
      {S::kReady,
       I::kPrompt,
       {},
       ErrorCode::kBadState,
       "session t is ready; prompts go to the active session only"},
      {S::kIdle,
       I::kPrompt,
       {},
       ErrorCode::kBadState,
       "session t is idle; prompts go to the active session only"},
      {S::kStopped,
       I::kPrompt,
       {},
       ErrorCode::kBadState,
       "session t is stopped; prompts go to the active session only"},
      {S::kMissing,
       I::kStop,
       {},
       ErrorCode::kBadState,
       "session t is missing; stop needs ready, active, idle or errored"},
      {S::kCreating,
       I::kStop,
       {},
       ErrorCode::kBadState,
       "session t is creating; stop needs ready, active, idle or errored"},
      {S::kStopped,
       I::kStop,
       {},
       ErrorCode::kBadState,
       "session t is stopped; stop needs ready, active, idle or errored"},
  };
  std::size_t refusal_rows = 0;
  for (const Transition& row : session_transition_table())
    refusal_rows += row.refusal != Refusal::kNone;
  EXPECT_EQ(cases.size(), refusal_rows) << "a refusal row without a case here";
  for (const auto& c : cases) {
    SessionMachine machine(kSpawnReady, c.state);
    const Transition* row = machine.fire(c.input, c.facts);
    ASSERT_NE(row, nullptr) << c.message;
    ASSERT_NE(row->refusal, Refusal::kNone) << c.message;
    EXPECT_EQ(machine.state(), c.state);
    Error error = refusal_error(*row, "t", c.state, "agent died: exit status 3");
    EXPECT_EQ(error.code, c.code) << c.message;
    EXPECT_EQ(error.message, c.message);
    ASSERT_EQ(error.data.size(), 2u);
    bool has_state = false;
    for (const auto& [key, value] : error.data) {
      if (key == "state") has_state = value == session_state_name(c.state);
    }
    EXPECT_TRUE(has_state) << c.message;
  }
}

struct MoveCase {
  S from;
  I input;
  Facts facts;
  S to;
  unsigned effects;
};

TEST(SessionMachine, AllowedRequestsAndHappenings) {
  const std::vector<MoveCase> cases = {
      {S::kMissing, I::kOpen, {}, S::kMissing, kMakeRoom | kSaveRecord | kLaunch},
      {S::kStopped, I::kOpen, {}, S::kStopped, kMakeRoom | kSaveRecord | kLaunch},
      {S::kErrored, I::kOpen, {}, S::kErrored, kMakeRoom | kSaveRecord | kLaunch},
      {S::kMissing, I::kSpawned, {}, S::kReady, kTouch},
      {S::kErrored, I::kSpawnFailed, {}, S::kErrored, kNoEffect},
      {S::kReady, I::kSwitch, {}, S::kActive, kActivate | kTouch},
      {S::kIdle, I::kSwitch, {}, S::kActive, kActivate | kTouch},
      {S::kActive, I::kSwitch, {}, S::kActive, kActivate | kTouch},
      {S::kStopped, I::kSwitch, {}, S::kStopped, kMakeRoom | kLaunch},
      {S::kActive, I::kSwitchedAway, {}, S::kIdle, kNoEffect},
      {S::kActive, I::kPrompt, {}, S::kActive, kSendPrompt | kTouch},
      {S::kIdle, I::kAgentExit, {}, S::kErrored, kWakeReadyWaiters | kReportDeath},
      {S::kErrored, I::kStop, {}, S::kErrored, kStopAgent},
      {S::kActive, I::kStop, {}, S::kActive, kStopAgent},
      {S::kIdle, I::kEvict, {}, S::kIdle, kStopAgent},
      {S::kCreating, I::kShutdown, {}, S::kCreating, kStopAgent},
      {S::kActive, I::kStopped, {}, S::kStopped, kReportStopped | kWakeReadyWaiters},
  };
  for (const auto& c : cases) {
    SessionMachine machine(kSpawnReady, c.from);
    const Transition* row = machine.fire(c.input, c.facts);
    ASSERT_NE(row, nullptr) << session_state_name(c.from) << " " << static_cast<int>(c.input);
    EXPECT_EQ(row->refusal, Refusal::kNone);
    EXPECT_EQ(machine.state(), c.to) << session_state_name(c.from);
    EXPECT_EQ(row->effects, c.effects) << session_state_name(c.from);
  }
}

TEST(SessionMachine, OpenRepliesItsModeByTheStateItStartsFrom) {
  EXPECT_EQ(SessionMachine(kSpawnReady, S::kMissing).decide(I::kOpen, {})->text, "created");
  EXPECT_EQ(SessionMachine(kSpawnReady, S::kStopped).decide(I::kOpen, {})->text, "resumed");
  EXPECT_EQ(SessionMachine(kSpawnReady, S::kErrored).decide(I::kOpen, {})->text, "recovered");
}

TEST(SessionMachine, HappeningsOutOfPlaceAreIgnored) {
  for (S state : {S::kReady, S::kActive, S::kIdle, S::kErrored, S::kStopped}) {
    SessionMachine machine(kLineReady, state);
    EXPECT_EQ(machine.fire(I::kReadyLine, at(0)), nullptr) << session_state_name(state);
    EXPECT_EQ(machine.state(), state);
  }
  for (S state : {S::kMissing, S::kReady, S::kIdle, S::kErrored, S::kStopped}) {
    SessionMachine machine(kSpawnReady, state);
    EXPECT_EQ(machine.fire(I::kSwitchedAway, at(0)), nullptr) << session_state_name(state);
  }
  for (S state : {S::kMissing, S::kErrored, S::kStopped}) {
    SessionMachine machine(kSpawnReady, state);
    EXPECT_EQ(machine.fire(I::kAgentExit, at(0)), nullptr) << session_state_name(state);
  }
}

TEST(SessionMachine, ReadyLineBeforeTheDeadlineMakesItReady) {
  SessionMachine machine(kLineReady);
  const Transition* spawned = machine.fire(I::kSpawned, at(1000));
  ASSERT_NE(spawned, nullptr);
  EXPECT_TRUE(spawned->effects & kArmReadyDeadline);
  EXPECT_EQ(machine.state(), S::kCreating);
  EXPECT_EQ(machine.ready_deadline_ms(), 6000);
  EXPECT_TRUE(machine.warm());
  const Transition* ready = machine.fire(I::kReadyLine, at(5999));
  ASSERT_NE(ready, nullptr);
  EXPECT_TRUE(ready->effects & kWakeReadyWaiters);
  EXPECT_EQ(machine.state(), S::kReady);
  // The wait is then over with no row: the open or switch succeeds.
  EXPECT_EQ(machine.fire(I::kReadyWaitOver, at(6000)), nullptr);
  EXPECT_EQ(machine.state(), S::kReady);
}

TEST(SessionMachine, NoReadyLineByTheDeadlineErrorsTheSession) {
  SessionMachine machine(kLineReady);
  machine.fire(I::kSpawned, at(1000));
  EXPECT_EQ(machine.fire(I::kReadyWaitOver, at(5999)), nullptr) << "a timer that fired early";
  EXPECT_EQ(machine.state(), S::kCreating);
  const Transition* over = machine.fire(I::kReadyWaitOver, Facts{.now_ms = 6000, .reason = "late"});
  ASSERT_NE(over, nullptr);
  EXPECT_EQ(over->effects, kKillAgent);
  EXPECT_EQ(machine.state(), S::kErrored);
  EXPECT_EQ(machine.error(), "late");
  EXPECT_FALSE(machine.warm());
  // A later ready line (the agent was killed anyway) changes nothing.
  EXPECT_EQ(machine.fire(I::kReadyLine, at(6001)), nullptr);
  EXPECT_EQ(machine.state(), S::kErrored);
}

TEST(SessionMachine, AgentDeathWhileCreatingFailsTheWaitAtOnce) {
  SessionMachine machine(kLineReady);
  machine.fire(I::kSpawned, at(0));
  machine.fire(I::kAgentExit, Facts{.now_ms = 10, .reason = "agent died: exit status 1"});
  EXPECT_EQ(machine.state(), S::kErrored);
  const Transition* over = machine.fire(I::kReadyWaitOver, Facts{.now_ms = 10, .reason = "late"});
  ASSERT_NE(over, nullptr);
  EXPECT_EQ(machine.state(), S::kErrored);
}

TEST(SessionMachine, ARelaunchForgetsTheLastError) {
  SessionMachine machine(kSpawnReady);
  machine.fire(I::kSpawnFailed, Facts{.reason = "no such file"});
  EXPECT_EQ(machine.state(), S::kErrored);
  EXPECT_EQ(machine.error(), "no such file");
  machine.fire(I::kSpawned, at(0));
  EXPECT_EQ(machine.state(), S::kReady);
  EXPECT_EQ(machine.error(), "");
}

TEST(SessionMachine, ASecondStopWhileOneIsUnderWayIsAnsweredAtOnce) {
  SessionMachine machine(kSpawnReady, S::kIdle);
  ASSERT_EQ(machine.fire(I::kStop, at(0))->effects, kStopAgent);
  EXPECT_TRUE(machine.stopping());
  EXPECT_EQ(machine.fire(I::kStop, at(1))->effects, kNoEffect);
  // The agent's exit during the stop is the stop's, not a death.
  EXPECT_EQ(machine.fire(I::kAgentExit, at(2)), nullptr);
  EXPECT_EQ(machine.state(), S::kIdle);
  machine.fire(I::kStopped, at(3));
  EXPECT_EQ(machine.state(), S::kStopped);
  EXPECT_FALSE(machine.stopping());
}

// open, switch, prompt, turn end, switch away and back, death, recovery, stop: the RL episode.
TEST(SessionMachine, EpisodeWalk) {
  SessionMachine machine(kLineReady);
  EXPECT_EQ(machine.fire(I::kOpen, at(0))->text, "created");
  machine.fire(I::kSpawned, at(0));
  machine.fire(I::kReadyLine, at(5));
  EXPECT_EQ(machine.fire(I::kSwitch, at(6))->effects, kActivate | kTouch);
  EXPECT_EQ(machine.state(), S::kActive);
  EXPECT_EQ(machine.fire(I::kPrompt, at(7))->effects, kSendPrompt | kTouch);
  EXPECT_EQ(machine.fire(I::kPrompt, Facts{.now_ms = 8, .turn_in_progress = true})->refusal,
            Refusal::kTurnBusy);
  machine.fire(I::kSwitchedAway, at(9));
  EXPECT_EQ(machine.state(), S::kIdle);
  machine.fire(I::kSwitch, at(10));
  machine.fire(I::kAgentExit, Facts{.now_ms = 11, .reason = "agent died: killed by SIGKILL"});
  EXPECT_EQ(machine.state(), S::kErrored);
  EXPECT_EQ(machine.fire(I::kPrompt, Facts{.now_ms = 12, .died_active = true})->refusal,
            Refusal::kAgentDead);
  EXPECT_EQ(machine.fire(I::kOpen, at(13))->text, "recovered");
  machine.fire(I::kSpawned, at(13));
  machine.fire(I::kReadyLine, at(14));
  ASSERT_EQ(machine.fire(I::kStop, at(15))->effects, kStopAgent);
  machine.fire(I::kStopped, at(16));
  EXPECT_EQ(machine.state(), S::kStopped);
  EXPECT_EQ(machine.fire(I::kOpen, at(17))->text, "resumed");
}

TEST(SessionMachine, OnlyReadyAndIdleSessionsNotBeingStoppedCanBeEvicted) {
  for (S state : kAllStates) {
    bool evictable = state == S::kReady || state == S::kIdle;
    EXPECT_EQ(in_state(state).decide(I::kEvict, at(0)) != nullptr, evictable)
        << session_state_name(state);
  }
  EXPECT_EQ(in_state(S::kIdle, true).decide(I::kEvict, at(0)), nullptr);
}

TEST(WarmPool, ReapsTheLeastRecentlyActiveCandidate) {
  WarmPool pool(2);
  EXPECT_FALSE(pool.full(1));
  EXPECT_TRUE(pool.full(2));
  std::vector<WarmCandidate> candidates = {{"a", 300}, {"b", 100}, {"c", 200}};
  EXPECT_EQ(WarmPool::choose_victim(candidates), "b");
  candidates = {{"a", 100}, {"b", 100}};
  EXPECT_EQ(WarmPool::choose_victim(candidates), "a") << "a tie goes to the first listed";
  EXPECT_EQ(WarmPool::choose_victim({}), std::nullopt);
}

}  // namespace
}  // namespace taskd::sessions
