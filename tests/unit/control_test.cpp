// Requests on named processes (daemon/supervisor/control.h) against a real Supervisor, Reaper and
// child processes: outcomes per name, what counts as started or stopped, refusals, restart.
#include "daemon/supervisor/control.h"

#include "daemon/process/reaper.h"
#include "daemon/supervisor/supervisor.h"
#include "tests/support/daemon_harness.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <exception>
#include <optional>

namespace taskd::supervisor {
namespace {
namespace asio = boost::asio;

InstanceSpec program(const std::string& name, std::vector<std::string> cmd) {
  InstanceSpec spec;
  spec.name = name;
  spec.group = name;
  spec.program.name = name;
  spec.program.cmd = std::move(cmd);
  spec.program.starttime_ms = 100;
  spec.program.stoptime_ms = 2000;
  spec.program.autorestart = AutoRestart::kNever;
  spec.program.stdout_log.kind = OutputConfig::Kind::kDiscard;
  spec.program.stderr_log.kind = OutputConfig::Kind::kDiscard;
  return spec;
}

std::vector<std::string> sleeper() { return {test::fake_child_binary(), "--sleep", "60000"}; }

class ControlTest : public ::testing::Test {
 protected:
  ~ControlTest() override { finish(sup.stop_all()); }

  // Runs the loop until `op` is done.
  std::vector<Outcome> run(asio::awaitable<std::vector<Outcome>> op) {
    std::optional<std::vector<Outcome>> result;
    asio::co_spawn(io, std::move(op), [&](std::exception_ptr error, std::vector<Outcome> value) {
      if (error) std::rethrow_exception(error);
      result = std::move(value);
    });
    while (!result && io.run_one() > 0) {
    }
    return result.value_or(std::vector<Outcome>{});
  }
  void finish(asio::awaitable<void> op) {
    bool done = false;
    asio::co_spawn(io, std::move(op), [&](std::exception_ptr error) {
      if (error) std::rethrow_exception(error);
      done = true;
    });
    while (!done && io.run_one() > 0) {
    }
  }

  asio::io_context io;
  process::Reaper reaper{io};
  Supervisor sup{io, reaper};
};

TEST_F(ControlTest, StartAnswersEachProcessOnceAndEachUnknownPattern) {
  sup.configure({program("a", sleeper())});
  auto outcomes = run(start_processes(sup, {"a", "nope", "all"}, {}));
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].name, "a");
  EXPECT_FALSE(outcomes[0].error);
  EXPECT_EQ(outcomes[0].state, ProcessState::kRunning);
  EXPECT_GT(outcomes[0].pid, 0);
  EXPECT_EQ(outcomes[1].name, "nope");
  ASSERT_TRUE(outcomes[1].error);
  EXPECT_EQ(outcomes[1].error->code, ErrorCode::kNotFound);
  EXPECT_FALSE(outcomes[1].state);
}

TEST_F(ControlTest, AStartThatFailsSaysWhy) {
  auto spec = program("a", {"/nonexistent/taskd-test-program"});
  spec.program.startretries = 0;
  sup.configure({spec});
  auto outcomes = run(start_processes(sup, {"a"}, {}));
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_TRUE(outcomes[0].error);
  EXPECT_EQ(outcomes[0].error->code, ErrorCode::kSpawnFailed);
  EXPECT_EQ(outcomes[0].state, ProcessState::kFatal);
}

TEST_F(ControlTest, StopWaitsForTheExitAndRefusesASecondStop) {
  sup.configure({program("a", sleeper())});
  run(start_processes(sup, {"a"}, {}));
  auto stopped = run(stop_processes(sup, {"a"}, {}));
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_FALSE(stopped[0].error);
  EXPECT_EQ(stopped[0].state, ProcessState::kStopped);
  EXPECT_EQ(stopped[0].pid, 0);
  auto again = run(stop_processes(sup, {"a"}, {}));
  ASSERT_TRUE(again[0].error);
  EXPECT_EQ(again[0].error->code, ErrorCode::kBadState);
  EXPECT_EQ(again[0].error->message, "a: not running");
}

TEST_F(ControlTest, RestartIsANewRun) {
  sup.configure({program("a", sleeper())});
  auto started = run(start_processes(sup, {"a"}, {}));
  auto restarted = run(restart_processes(sup, {"a"}, {}));
  ASSERT_EQ(restarted.size(), 1u);
  EXPECT_FALSE(restarted[0].error);
  EXPECT_EQ(restarted[0].state, ProcessState::kRunning);
  EXPECT_NE(restarted[0].pid, started[0].pid);
  EXPECT_EQ(sup.find("a")->runs(), 2u);
}

TEST_F(ControlTest, StillStartingWhenTheTimeoutEnds) {
  auto spec = program("a", sleeper());
  spec.program.starttime_ms = 600000;
  sup.configure({spec});
  auto outcomes = run(start_processes(sup, {"a"}, {true, 1}));
  ASSERT_TRUE(outcomes[0].error);
  EXPECT_EQ(outcomes[0].error->code, ErrorCode::kTimeout);
  EXPECT_EQ(outcomes[0].error->message, "a: still STARTING");
}

TEST_F(ControlTest, NothingStartsOnceStopAllBegan) {
  sup.configure({program("a", sleeper())});
  finish(sup.stop_all());
  auto outcomes = run(start_processes(sup, {"a"}, {}));
  ASSERT_TRUE(outcomes[0].error);
  EXPECT_EQ(outcomes[0].error->code, ErrorCode::kBadState);
  EXPECT_EQ(outcomes[0].error->message, "a: taskd is shutting down");
  EXPECT_EQ(outcomes[0].state, ProcessState::kStopped);
}

}  // namespace
}  // namespace taskd::supervisor
