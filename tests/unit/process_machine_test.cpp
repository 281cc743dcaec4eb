// The supervision state machine, driven the way Process drives it but with a fake clock and a
// scripted spawner, so backoff delays and timeouts are checked exactly and instantly.
#include "daemon/supervisor/process_machine.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <set>

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
  std::int64_t now = 0;

  bool fire(Event event, const Exit* exit = nullptr) {
    const Transition* t = machine_.fire(event, exit);
    if (!t) return false;
    if (t->effects & kDisarmTimer) timer_.reset();
    if (t->effects & kSpawn) {
      ++spawns;
      spawned_at_ = now;
      bool ok = spawn_script.empty() ? true : spawn_script.front();
      if (!spawn_script.empty()) spawn_script.pop_front();
      fire(ok ? Event::kSpawned : Event::kSpawnFailed);
    }
    if (t->effects & kSignalStop) signals.push_back("stop");
    if (t->effects & kSignalKill) signals.push_back("KILL");
    if (t->effects & kArmStartTimer) arm(starttime_ms_, Event::kStartTimeElapsed);
    if (t->effects & kArmBackoffTimer) {
      backoff_delays.push_back(machine_.backoff_delay_ms());
      arm(machine_.backoff_delay_ms(), Event::kBackoffElapsed);
    }
    if (t->effects & kArmStopTimer) arm(stoptime_ms_, Event::kStopTimeElapsed);
    if (t->effects & kArmRestartTimer) arm(machine_.restart_delay_ms(), Event::kBackoffElapsed);
    if (t->effects & kSettleExit) fire(Event::kExitSettled);
    return true;
  }

  void exit_with(int code) {
    Exit exit{false, code, now - spawned_at_};
    fire(Event::kExited, &exit);
  }
  void killed_by(int signal) {
    Exit exit{true, signal, now - spawned_at_};
    fire(Event::kExited, &exit);
  }

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

 private:
  static MachineSettings with_starttime(MachineSettings settings, std::int64_t starttime_ms) {
    settings.starttime_ms = starttime_ms;
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
  FakeDriver d({3, AutoRestart::kUnexpected, {0}});
  ASSERT_TRUE(d.fire(Event::kStart));
  EXPECT_EQ(d.state(), S::kStarting);
  d.advance(999);
  EXPECT_EQ(d.state(), S::kStarting);
  d.advance(1);
  EXPECT_EQ(d.state(), S::kRunning);
  EXPECT_EQ(d.spawns, 1);
}

TEST(ProcessMachine, EarlyExitsBackOffOneTwoThreeSecondsThenFatal) {
  FakeDriver d({3, AutoRestart::kUnexpected, {0}});
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
  FakeDriver d({2, AutoRestart::kAlways, {0}});
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
  FakeDriver d({0, AutoRestart::kUnexpected, {0}});
  d.spawn_script = {false};
  d.fire(Event::kStart);
  EXPECT_EQ(d.state(), S::kFatal);
}

TEST(ProcessMachine, AGoodRunResetsTheRetryCount) {
  FakeDriver d({1, AutoRestart::kAlways, {0}});
  d.fire(Event::kStart);
  d.exit_with(1);
  EXPECT_EQ(d.backoff(), 1);
  d.advance(1000);
  d.advance(1000);  // up for starttime this time
  EXPECT_EQ(d.state(), S::kRunning);
  EXPECT_EQ(d.backoff(), 0);
}

TEST(ProcessMachine, AutorestartUnexpectedHonoursExitcodes) {
  FakeDriver d({3, AutoRestart::kUnexpected, {0, 2}});
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
  FakeDriver always({3, AutoRestart::kAlways, {0}});
  always.fire(Event::kStart);
  always.advance(1000);
  always.exit_with(0);
  EXPECT_EQ(always.state(), S::kStarting);
  FakeDriver never({3, AutoRestart::kNever, {0}});
  never.fire(Event::kStart);
  never.advance(1000);
  never.exit_with(1);
  EXPECT_EQ(never.state(), S::kExited);
}

TEST(ProcessMachine, StopSendsStopSignalThenKillAfterStoptime) {
  FakeDriver d({3, AutoRestart::kAlways, {0}}, 1000, 500);
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
  FakeDriver starting({3, AutoRestart::kAlways, {0}});
  starting.fire(Event::kStart);
  starting.fire(Event::kStop);
  EXPECT_EQ(starting.state(), S::kStopping);
  starting.advance(5000);  // the start timer was disarmed: still STOPPING
  EXPECT_EQ(starting.state(), S::kStopping);

  FakeDriver backoff({3, AutoRestart::kAlways, {0}});
  backoff.fire(Event::kStart);
  backoff.exit_with(1);
  ASSERT_EQ(backoff.state(), S::kBackoff);
  backoff.fire(Event::kStop);
  EXPECT_EQ(backoff.state(), S::kStopped);
  backoff.advance(10000);  // the backoff timer must not respawn it
  EXPECT_EQ(backoff.spawns, 1);
}

TEST(ProcessMachine, RequestsThatMeanNothingAreRefused) {
  FakeDriver d({3, AutoRestart::kAlways, {0}});
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
  FakeDriver d({0, AutoRestart::kAlways, {0}});
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
  FakeDriver d({3, AutoRestart::kAlways, {0}}, /*starttime_ms=*/0);
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
  FakeDriver d({3, AutoRestart::kAlways, {0}}, /*starttime_ms=*/0);
  d.fire(Event::kStart);
  d.advance(kMinRunMs);
  d.killed_by(9);
  EXPECT_EQ(d.state(), S::kRunning);  // restarted at once (and RUNNING at once)
  EXPECT_EQ(d.spawns, 2);
}

TEST(ProcessMachine, BriefExpectedExitIsNotRestarted) {
  FakeDriver d({3, AutoRestart::kUnexpected, {0}}, /*starttime_ms=*/0);
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
  FakeDriver d({1, AutoRestart::kAlways, {0}}, /*starttime_ms=*/kMinRunMs);
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
  EXPECT_EQ(state_name(S::kBackoff), "BACKOFF");
  EXPECT_EQ(state_code(S::kRunning), 20);
  EXPECT_EQ(state_code(S::kFatal), 200);
  EXPECT_TRUE(is_running_state(S::kBackoff));
  EXPECT_FALSE(is_running_state(S::kStopping));
}

}  // namespace
}  // namespace taskd::supervisor
