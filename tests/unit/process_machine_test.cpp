// The supervision state machine, driven the way Process drives it but with a fake clock and a
// scripted spawner, so backoff delays and timeouts are checked exactly and instantly; and its
// words (log lines, refusal reasons, the error supervisorctl shows) row by row.
#include "daemon/supervisor/process_machine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <tuple>

namespace taskd::supervisor {
namespace {

using S = ProcessState;

class FakeDriver {
 public:
  explicit FakeDriver(MachineSettings settings, std::int64_t starttime_ms = 1000,
                      std::int64_t stoptime_ms = 10000)
      : machine_(with_starttime(std::move(settings), starttime_ms)),
        starttime_ms_(starttime_ms),
        stoptime_ms_(stoptime_ms) {}

  // What the next spawns do: true = fork/exec works, false = spawn failure.
  std::deque<bool> spawn_script;
  int spawns = 0;
  std::vector<std::string> signals;
  std::vector<std::int64_t> backoff_delays;
  std::vector<std::string> log;  // the messages of state changes, in order
  std::string refusal;           // the reason of the last refused request
  std::int64_t now = 0;

  // False when the event means nothing now or the request is refused.
  bool fire(Event event) { return carry_out(machine_.fire(event)); }

  bool carry_out(std::optional<Step> step) {
    if (!step) return false;
    if (step->effects & kRefuse) {
      EXPECT_EQ(step->from, step->to);
      refusal = step->message;
      return false;
    }
    const Step& t = *step;
    if (t.to != t.from) log.push_back(t.message);
    if (t.effects & kDisarmTimer) timer_.reset();
    if (t.effects & kSpawn) {
      ++spawns;
      spawned_at_ = now;
      bool ok = spawn_script.empty() ? true : spawn_script.front();
      if (!spawn_script.empty()) spawn_script.pop_front();
      carry_out(ok ? machine_.fire(Event::kSpawned) : machine_.spawn_failed("no such file"));
    }
    if (t.effects & kSignalStop) signals.push_back("stop");
    if (t.effects & kSignalKill) signals.push_back("KILL");
    if (t.effects & kArmStartTimer) arm(starttime_ms_, Event::kStartTimeElapsed);
    if (t.effects & kArmBackoffTimer) {
      backoff_delays.push_back(machine_.backoff_delay_ms());
      arm(machine_.backoff_delay_ms(), Event::kBackoffElapsed);
    }
    if (t.effects & kArmStopTimer) arm(stoptime_ms_, Event::kStopTimeElapsed);
    if (t.effects & kArmRestartTimer) arm(machine_.restart_delay_ms(), Event::kBackoffElapsed);
    if (t.effects & kSettleExit) fire(Event::kExitSettled);
    return true;
  }

  void exit_with(int code) { carry_out(machine_.exited(Exit{false, code, now - spawned_at_})); }
  void killed_by(int signal) { carry_out(machine_.exited(Exit{true, signal, now - spawned_at_})); }

  // Moves the fake clock forward, firing the armed timer when it comes due.
  void advance(std::int64_t ms) {
    std::int64_t until = now + ms;
    while (timer_ && timer_->first <= until) {
      now = timer_->first;
      Event event = timer_->second;
      timer_.reset();
      fire(event);
    }
    now = until;
  }

  S state() const { return machine_.state(); }
  int backoff() const { return machine_.backoff(); }
  const std::string& spawn_error() const { return machine_.spawn_error(); }
  std::uint64_t runs() const { return machine_.runs(); }

 private:
  static MachineSettings with_starttime(MachineSettings settings, std::int64_t starttime_ms) {
    settings.starttime_ms = starttime_ms;
    settings.name = "web";
    return settings;
  }
  // Like Process::arm: a zero delay fires at once.
  void arm(std::int64_t ms, Event event) {
    if (ms <= 0) {
      timer_.reset();
      fire(event);
      return;
    }
    timer_ = std::make_pair(now + ms, event);
  }

  ProcessMachine machine_;
  std::int64_t starttime_ms_;
  std::int64_t stoptime_ms_;
  std::optional<std::pair<std::int64_t, Event>> timer_;
  std::int64_t spawned_at_ = 0;
};

TEST(ProcessMachine, CleanStartReachesRunningAfterStarttime) {
  FakeDriver d({3, RestartPolicy::kUnexpected, {0}});
  ASSERT_TRUE(d.fire(Event::kStart));
  EXPECT_EQ(d.state(), S::kStarting);
  d.advance(999);
  EXPECT_EQ(d.state(), S::kStarting);
  d.advance(1);
  EXPECT_EQ(d.state(), S::kRunning);
  EXPECT_EQ(d.spawns, 1);
}

TEST(ProcessMachine, EarlyExitsBackOffOneTwoThreeSecondsThenFatal) {
  FakeDriver d({3, RestartPolicy::kUnexpected, {0}});
  d.fire(Event::kStart);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    d.advance(100);
    d.exit_with(1);  // died before starttime
    EXPECT_EQ(d.state(), S::kBackoff) << attempt;
    EXPECT_EQ(d.backoff(), attempt);
    d.advance(attempt * 1000 - 1);
    EXPECT_EQ(d.state(), S::kBackoff);
    d.advance(1);
    EXPECT_EQ(d.state(), S::kStarting);
  }
  d.exit_with(1);
  EXPECT_EQ(d.state(), S::kFatal);
  EXPECT_EQ(d.spawns, 4);  // startretries 3: the first try plus three retries, like supervisord
  EXPECT_EQ(d.backoff_delays, (std::vector<std::int64_t>{1000, 2000, 3000}));
}

TEST(ProcessMachine, SpawnFailuresAlsoEndFatal) {
  FakeDriver d({2, RestartPolicy::kAlways, {0}});
  d.spawn_script = {false, false, false};
  d.fire(Event::kStart);
  EXPECT_EQ(d.state(), S::kBackoff);
  d.advance(1000);
  EXPECT_EQ(d.state(), S::kBackoff);
  d.advance(2000);
  EXPECT_EQ(d.state(), S::kFatal);
  EXPECT_EQ(d.spawns, 3);
}

TEST(ProcessMachine, ZeroRetriesIsFatalAtOnce) {
  FakeDriver d({0, RestartPolicy::kUnexpected, {0}});
  d.spawn_script = {false};
  d.fire(Event::kStart);
  EXPECT_EQ(d.state(), S::kFatal);
}

TEST(ProcessMachine, AGoodRunResetsTheRetryCount) {
  FakeDriver d({1, RestartPolicy::kAlways, {0}});
  d.fire(Event::kStart);
  d.exit_with(1);
  EXPECT_EQ(d.backoff(), 1);
  d.advance(1000);
  d.advance(1000);  // up for starttime this time
  EXPECT_EQ(d.state(), S::kRunning);
  EXPECT_EQ(d.backoff(), 0);
}

TEST(ProcessMachine, AutorestartUnexpectedHonoursExitcodes) {
  FakeDriver d({3, RestartPolicy::kUnexpected, {0, 2}});
  d.fire(Event::kStart);
  d.advance(1000);
  d.exit_with(2);  // expected
  EXPECT_EQ(d.state(), S::kExited);
  EXPECT_EQ(d.spawns, 1);
  d.fire(Event::kStart);
  d.advance(1000);
  d.exit_with(3);  // unexpected: restarted
  EXPECT_EQ(d.state(), S::kStarting);
  EXPECT_EQ(d.spawns, 3);
  d.advance(1000);
  d.killed_by(9);  // a signal is never expected
  EXPECT_EQ(d.state(), S::kStarting);
}

TEST(ProcessMachine, AutorestartAlwaysAndNever) {
  FakeDriver always({3, RestartPolicy::kAlways, {0}});
  always.fire(Event::kStart);
  always.advance(1000);
  always.exit_with(0);
  EXPECT_EQ(always.state(), S::kStarting);
  FakeDriver never({3, RestartPolicy::kNever, {0}});
  never.fire(Event::kStart);
  never.advance(1000);
  never.exit_with(1);
  EXPECT_EQ(never.state(), S::kExited);
}

TEST(ProcessMachine, StopSendsStopSignalThenKillAfterStoptime) {
  FakeDriver d({3, RestartPolicy::kAlways, {0}}, 1000, 500);
  d.fire(Event::kStart);
  d.advance(1000);
  ASSERT_TRUE(d.fire(Event::kStop));
  EXPECT_EQ(d.state(), S::kStopping);
  EXPECT_EQ(d.signals, std::vector<std::string>{"stop"});
  d.advance(499);
  EXPECT_EQ(d.signals.size(), 1u);
  d.advance(1);
  EXPECT_EQ(d.signals, (std::vector<std::string>{"stop", "KILL"}));
  d.killed_by(9);
  EXPECT_EQ(d.state(), S::kStopped);  // no autorestart after a requested stop
}

TEST(ProcessMachine, StopDuringStartingAndBackoff) {
  FakeDriver starting({3, RestartPolicy::kAlways, {0}});
  starting.fire(Event::kStart);
  starting.fire(Event::kStop);
  EXPECT_EQ(starting.state(), S::kStopping);
  starting.advance(5000);  // the start timer was disarmed: still STOPPING
  EXPECT_EQ(starting.state(), S::kStopping);

  FakeDriver backoff({3, RestartPolicy::kAlways, {0}});
  backoff.fire(Event::kStart);
  backoff.exit_with(1);
  ASSERT_EQ(backoff.state(), S::kBackoff);
  backoff.fire(Event::kStop);
  EXPECT_EQ(backoff.state(), S::kStopped);
  backoff.advance(10000);  // the backoff timer must not respawn it
  EXPECT_EQ(backoff.spawns, 1);
}

TEST(ProcessMachine, RequestsThatMeanNothingAreRefused) {
  FakeDriver d({3, RestartPolicy::kAlways, {0}});
  EXPECT_FALSE(d.fire(Event::kStop));  // STOPPED
  d.fire(Event::kStart);
  EXPECT_FALSE(d.fire(Event::kStart));  // STARTING
  d.advance(1000);
  EXPECT_FALSE(d.fire(Event::kStart));  // RUNNING
  d.fire(Event::kStop);
  EXPECT_FALSE(d.fire(Event::kStop));  // STOPPING
  EXPECT_FALSE(d.fire(Event::kStart));
}

TEST(ProcessMachine, FatalCanBeStartedAgain) {
  FakeDriver d({0, RestartPolicy::kAlways, {0}});
  d.spawn_script = {false};
  d.fire(Event::kStart);
  ASSERT_EQ(d.state(), S::kFatal);
  EXPECT_TRUE(d.fire(Event::kStart));
  d.advance(1000);
  EXPECT_EQ(d.state(), S::kRunning);
}

// Issue 10 #21: with starttime 0 a process is RUNNING as soon as it is spawned; one that exits at
// once with autorestart used to be respawned at once, forever, keeping the daemon busy.
TEST(ProcessMachine, BriefRunsAreRestartedASecondLaterWithoutCounting) {
  FakeDriver d({3, RestartPolicy::kAlways, {0}}, /*starttime_ms=*/0);
  d.fire(Event::kStart);
  for (int run = 1; run <= 20; ++run) {
    ASSERT_EQ(d.state(), S::kRunning) << run;
    d.advance(10);
    d.exit_with(0);  // ran 10 ms: less than a second
    EXPECT_EQ(d.state(), S::kBackoff) << run;
    d.advance(kMinRunMs - 1);
    EXPECT_EQ(d.spawns, run) << "restarted before the pacing delay";
    d.advance(1);
  }
  // Never FATAL, and startretries is left to failed starts: a program killed from outside soon
  // after each start keeps being restarted, as supervisord does.
  EXPECT_EQ(d.spawns, 21);
  EXPECT_EQ(d.backoff(), 0);
  EXPECT_TRUE(d.backoff_delays.empty());
}

TEST(ProcessMachine, ARunOfASecondRestartsAtOnce) {
  FakeDriver d({3, RestartPolicy::kAlways, {0}}, /*starttime_ms=*/0);
  d.fire(Event::kStart);
  d.advance(kMinRunMs);
  d.killed_by(9);
  EXPECT_EQ(d.state(), S::kRunning);  // restarted at once (and RUNNING at once)
  EXPECT_EQ(d.spawns, 2);
}

TEST(ProcessMachine, BriefExpectedExitIsNotRestarted) {
  FakeDriver d({3, RestartPolicy::kUnexpected, {0}}, /*starttime_ms=*/0);
  d.fire(Event::kStart);
  d.exit_with(0);
  EXPECT_EQ(d.state(), S::kExited);
  d.fire(Event::kStart);
  d.exit_with(5);  // unexpected and brief: paced
  EXPECT_EQ(d.state(), S::kBackoff);
  ASSERT_TRUE(d.fire(Event::kStop));  // a stop in the pause cancels the restart
  EXPECT_EQ(d.state(), S::kStopped);
  d.advance(10000);
  EXPECT_EQ(d.spawns, 2);
}

TEST(ProcessMachine, StarttimeOfASecondOrMoreKeepsSupervisordRestarts) {
  FakeDriver d({1, RestartPolicy::kAlways, {0}}, /*starttime_ms=*/kMinRunMs);
  d.fire(Event::kStart);
  for (int run = 1; run <= 10; ++run) {
    d.advance(kMinRunMs);
    ASSERT_EQ(d.state(), S::kRunning) << run;
    d.exit_with(0);  // right after reaching RUNNING: restarted at once
    EXPECT_EQ(d.state(), S::kStarting) << run;
  }
  EXPECT_EQ(d.spawns, 11);
}

TEST(ProcessMachine, TableHasNoAmbiguousRows) {
  std::set<std::tuple<S, Event, Guard>> seen;
  for (const Transition& row : transition_table()) {
    EXPECT_TRUE(seen.insert({row.from, row.event, row.guard}).second)
        << state_name(row.from) << " has two rows for one event and guard";
  }
}

TEST(ProcessMachine, NamesAndCodesMatchSupervisord) {
  const std::vector<std::tuple<S, std::string_view, int, bool, bool>> expected = {
      // state, name, code, running, settled
      {S::kStopped, "STOPPED", 0, false, true},     {S::kStarting, "STARTING", 10, true, false},
      {S::kRunning, "RUNNING", 20, true, false},    {S::kBackoff, "BACKOFF", 30, true, false},
      {S::kStopping, "STOPPING", 40, false, false}, {S::kExited, "EXITED", 100, false, true},
      {S::kFatal, "FATAL", 200, false, true},
  };
  for (const auto& [state, name, code, running, settled] : expected) {
    EXPECT_EQ(state_name(state), name);
    EXPECT_EQ(state_code(state), code) << name;
    EXPECT_EQ(is_running_state(state), running) << name;
    EXPECT_EQ(is_settled(state), settled) << name;
  }
}

constexpr std::array kAllStates = {S::kStopped,  S::kStarting, S::kRunning, S::kBackoff,
                                   S::kStopping, S::kExited,   S::kFatal};

// Rows for one state and event have guards from one family, so at most one row applies.
TEST(ProcessMachine, GuardsOfOneStateAndEventExcludeEachOther) {
  const std::vector<std::set<Guard>> families = {
      {Guard::kAlways},
      {Guard::kOpen, Guard::kClosed},
      {Guard::kRetriesLeft, Guard::kRetriesExhausted},
      {Guard::kRestartAtOnce, Guard::kRestartPaced},
  };
  std::map<std::pair<S, Event>, std::set<Guard>> guards;
  for (const Transition& row : transition_table()) guards[{row.from, row.event}].insert(row.guard);
  for (const auto& [key, used] : guards) {
    bool fits = std::any_of(families.begin(), families.end(), [&](const std::set<Guard>& f) {
      return std::includes(f.begin(), f.end(), used.begin(), used.end());
    });
    EXPECT_TRUE(fits) << state_name(key.first) << " mixes guard families for one event";
  }
}

// A start or stop request always gets an answer: a transition or a reason, open or shutting down.
TEST(ProcessMachine, EveryStateAnswersStartAndStop) {
  for (S state : kAllStates) {
    std::set<Guard> start;
    std::set<Guard> stop;
    for (const Transition& row : transition_table()) {
      if (row.from == state && row.event == Event::kStart) start.insert(row.guard);
      if (row.from == state && row.event == Event::kStop) stop.insert(row.guard);
    }
    EXPECT_EQ(start, (std::set<Guard>{Guard::kOpen, Guard::kClosed})) << state_name(state);
    EXPECT_EQ(stop, std::set<Guard>{Guard::kAlways}) << state_name(state);
  }
}

TEST(ProcessMachine, RowsSayWhatTheyDo) {
  for (const Transition& row : transition_table()) {
    bool refusal = (row.effects & kRefuse) != 0;
    bool refusal_words = row.say >= Say::kRefuseAlreadyStarted;
    EXPECT_EQ(refusal, refusal_words) << state_name(row.from);
    if (refusal) {
      EXPECT_EQ(row.from, row.to);
      continue;
    }
    // Every state change has a log line; a row that keeps the state logs nothing.
    EXPECT_EQ(row.from != row.to, row.say != Say::kNothing) << state_name(row.from);
  }
}

TEST(ProcessMachine, LogLinesOfAFailingThenGoodRun) {
  FakeDriver d({1, RestartPolicy::kNever, {0}});
  d.fire(Event::kStart);
  d.advance(100);
  d.exit_with(1);
  d.advance(1000);
  d.exit_with(1);
  d.fire(Event::kStart);
  d.advance(1000);
  d.fire(Event::kStop);
  d.killed_by(15);
  EXPECT_EQ(d.log, (std::vector<std::string>{
                       "starting: web",
                       "exited: web (exit status 1; not expected); BACKOFF, retrying in 1 s",
                       "starting: web",
                       "gave up: web entered FATAL state, too many start retries too quickly "
                       "(Exited too quickly (process log may have details))",
                       "starting: web",
                       "success: web entered RUNNING state, process has stayed up for > than 1 s "
                       "(starttime)",
                       "waiting for web to stop",
                       "stopped: web (terminated by SIGTERM)",
                   }));
}

TEST(ProcessMachine, LogLinesOfSpawnFailures) {
  FakeDriver d({1, RestartPolicy::kAlways, {0}});
  d.spawn_script = {false, false};
  d.fire(Event::kStart);
  d.advance(1000);
  EXPECT_EQ(d.log, (std::vector<std::string>{
                       "starting: web",
                       "spawnerr: web: no such file; BACKOFF, retrying in 1 s",
                       "starting: web",
                       "gave up: web entered FATAL state, too many start retries too quickly "
                       "(no such file)",
                   }));
  EXPECT_EQ(d.spawn_error(), "no such file");
}

TEST(ProcessMachine, LogLinesOfABriefRunAndAStopInItsPause) {
  FakeDriver d({3, RestartPolicy::kAlways, {0}}, /*starttime_ms=*/500);
  d.fire(Event::kStart);
  d.advance(600);
  d.exit_with(0);
  d.fire(Event::kStop);
  EXPECT_EQ(d.log, (std::vector<std::string>{
                       "starting: web",
                       "success: web entered RUNNING state, process has stayed up for > than "
                       "0.500000 s (starttime)",
                       "exited: web (exit status 0; expected)",
                       "exited too quickly: web ran for less than 1 s; BACKOFF, restarting in 1 s",
                       "stopped: web (while in BACKOFF)",
                   }));
}

// What `taskctl status` shows as the reason of a failure, and when it is forgotten.
TEST(ProcessMachine, SpawnErrorNamesTheLastFailure) {
  FakeDriver d({3, RestartPolicy::kNever, {0}});
  d.fire(Event::kStart);
  d.exit_with(1);
  EXPECT_EQ(d.spawn_error(), "Exited too quickly (process log may have details)");
  d.advance(1000);  // spawned again: forgotten
  EXPECT_EQ(d.spawn_error(), "");
  d.advance(1000);
  d.killed_by(9);
  EXPECT_EQ(d.state(), S::kExited);
  EXPECT_EQ(d.spawn_error(), "Bad exit: terminated by SIGKILL");
  d.fire(Event::kStart);
  d.advance(1000);
  d.exit_with(0);  // expected: nothing to report, and the old reason is gone with the spawn
  EXPECT_EQ(d.spawn_error(), "");
}

TEST(ProcessMachine, RunsCountsEachRunThatReachedRunning) {
  FakeDriver d({3, RestartPolicy::kAlways, {0}}, /*starttime_ms=*/0);
  EXPECT_EQ(d.runs(), 0u);
  d.fire(Event::kStart);
  EXPECT_EQ(d.runs(), 1u);
  d.advance(kMinRunMs);
  d.exit_with(0);  // restarted at once, RUNNING at once
  EXPECT_EQ(d.runs(), 2u);
}

// Drives a fresh machine into `state`.
FakeDriver driven_to(S state) {
  FakeDriver d({1, RestartPolicy::kNever, {0}});
  if (state == S::kStopped) return d;
  d.fire(Event::kStart);
  if (state == S::kStarting) return d;
  if (state == S::kBackoff || state == S::kFatal) {
    d.exit_with(1);
    if (state == S::kFatal) {
      d.advance(1000);
      d.exit_with(1);
    }
    return d;
  }
  d.advance(1000);
  if (state == S::kStopping) d.fire(Event::kStop);
  if (state == S::kExited) d.exit_with(0);
  return d;
}

TEST(ProcessMachine, RefusalsSayWhy) {
  const std::vector<std::tuple<S, Event, std::string>> refused = {
      {S::kStopped, Event::kStop, "web: not running"},
      {S::kStarting, Event::kStart, "web: already started"},
      {S::kRunning, Event::kStart, "web: already started"},
      {S::kBackoff, Event::kStart, "web: already started"},
      {S::kStopping, Event::kStart, "web: is STOPPING"},
      {S::kStopping, Event::kStop, "web: is already stopping"},
      {S::kExited, Event::kStop, "web: not running"},
      {S::kFatal, Event::kStop, "web: not running"},
  };
  for (const auto& [state, event, why] : refused) {
    FakeDriver d = driven_to(state);
    ASSERT_EQ(d.state(), state);
    int spawns = d.spawns;
    EXPECT_FALSE(d.fire(event)) << state_name(state);
    EXPECT_EQ(d.refusal, why);
    EXPECT_EQ(d.state(), state);
    EXPECT_EQ(d.spawns, spawns);
  }
}

TEST(ProcessMachine, ShutdownRefusesEveryStart) {
  for (S state : kAllStates) {
    FakeDriver d = driven_to(state);
    ASSERT_EQ(d.state(), state);
    EXPECT_TRUE(d.fire(Event::kShutdown));
    EXPECT_EQ(d.state(), state);
    EXPECT_FALSE(d.fire(Event::kStart)) << state_name(state);
    EXPECT_EQ(d.refusal, "web: taskd is shutting down");
    EXPECT_EQ(d.state(), state);
  }
}

TEST(ProcessMachine, ShutdownStopsAutorestartButNotStops) {
  FakeDriver d({3, RestartPolicy::kAlways, {0}});
  d.fire(Event::kStart);
  d.advance(1000);
  d.fire(Event::kShutdown);
  d.exit_with(1);
  EXPECT_EQ(d.state(), S::kExited);  // not restarted
  EXPECT_EQ(d.spawns, 1);

  FakeDriver brief({3, RestartPolicy::kAlways, {0}}, /*starttime_ms=*/0);
  brief.fire(Event::kStart);
  brief.fire(Event::kShutdown);
  brief.exit_with(1);
  EXPECT_EQ(brief.state(), S::kExited);  // not paced into BACKOFF either
  brief.advance(10000);
  EXPECT_EQ(brief.spawns, 1);

  FakeDriver running({3, RestartPolicy::kAlways, {0}});
  running.fire(Event::kStart);
  running.advance(1000);
  running.fire(Event::kShutdown);
  EXPECT_TRUE(running.fire(Event::kStop));
  EXPECT_EQ(running.state(), S::kStopping);
}

}  // namespace
}  // namespace taskd::supervisor
