// Child with real children (the fake_child helper) on a real loop and Reaper: every assertion is
// about an event (exit status, output, orphan reaped), never about how long something took.
#include "daemon/process/child.h"
#include "tests/support/daemon_harness.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace taskd::process {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;

class ChildTest : public ::testing::Test {
 protected:
  // Runs the loop until `done`. The deadline only keeps a broken test from hanging the suite;
  // the test then fails on the event it waited for.
  bool run_until(const std::function<bool()>& done) {
    auto guard = std::chrono::steady_clock::now() + 60s;
    while (!done() && std::chrono::steady_clock::now() < guard) io_.run_one_for(100ms);
    return done();
  }

  ChildSpec fake_child(std::vector<std::string> args) {
    ChildSpec spec;
    spec.command.argv = {test::fake_child_binary()};
    spec.command.argv.insert(spec.command.argv.end(), args.begin(), args.end());
    return spec;
  }

  std::shared_ptr<Child> spawn(ChildSpec spec, Child::OnExit on_exit = {}) {
    auto child = Child::spawn(io_, reaper_, std::move(spec), std::move(on_exit));
    EXPECT_TRUE(child) << (child ? "" : child.error().message);
    return child ? *child : nullptr;
  }

  static Output collect(std::string& into) {
    return Output::callback([&into](std::string_view chunk) { into.append(chunk); });
  }

  // A child that prints "ready" once it has run `args` (e.g. --ignore TERM), then waits for a
  // signal; returned once "ready" arrived.
  std::shared_ptr<Child> spawn_ready(std::vector<std::string> args, Child::OnExit on_exit = {}) {
    args.insert(args.end(), {"--out", "ready", "--wait"});
    ChildSpec spec = fake_child(std::move(args));
    spec.out = collect(ready_);
    auto child = spawn(std::move(spec), std::move(on_exit));
    EXPECT_TRUE(run_until([&] { return ready_ == "ready\n"; }));
    return child;
  }

  // co_spawns child->stop() and runs the loop until it returned.
  bool stop(Child& child, std::chrono::milliseconds grace, int signal) {
    bool stopped = false;
    asio::co_spawn(io_, child.stop(grace, signal), [&](std::exception_ptr) { stopped = true; });
    return run_until([&] { return stopped; });
  }

  asio::io_context io_;
  Reaper reaper_{io_};
  std::string ready_;
};

TEST_F(ChildTest, ReportsTheExitStatusOnce) {
  int reports = 0;
  int status = -1;
  auto child = spawn(fake_child({"--exit", "3"}), [&](int s) {
    ++reports;
    status = s;
  });
  ASSERT_TRUE(child);
  EXPECT_TRUE(child->running());
  ASSERT_TRUE(run_until([&] { return reports > 0; }));
  EXPECT_FALSE(child->running());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_EQ(child->wait_status(), status);
  // Awaiting an exit that already happened returns at once, and reports nothing again.
  bool waited = false;
  asio::co_spawn(io_, child->wait(), [&](std::exception_ptr) { waited = true; });
  ASSERT_TRUE(run_until([&] { return waited; }));
  EXPECT_EQ(reports, 1);
  EXPECT_FALSE(child->signal(SIGTERM));  // the group id is no longer ours to signal
}

TEST_F(ChildTest, HandsOutputToCallbacksUntilEndOfFile) {
  std::string out, err;
  int ends = 0;
  ChildSpec spec = fake_child({"--out", "hello", "--err", "world"});
  spec.out = Output::callback([&](std::string_view chunk) { out.append(chunk); }, [&] { ++ends; });
  spec.err = Output::callback([&](std::string_view chunk) { err.append(chunk); }, [&] { ++ends; });
  auto child = spawn(std::move(spec));
  ASSERT_TRUE(child);
  ASSERT_TRUE(run_until([&] { return ends == 2 && !child->running(); }));
  EXPECT_EQ(out, "hello\n");
  EXPECT_EQ(err, "world\n");
}

TEST_F(ChildTest, WritesQueuedStdinInOrderThenEndOfFile) {
  std::string out;
  ChildSpec spec = fake_child({"--echo-stdin"});
  spec.stdin_pipe = true;
  spec.out = collect(out);
  auto child = spawn(std::move(spec));
  ASSERT_TRUE(child);
  EXPECT_TRUE(child->write("ping\n"));
  EXPECT_TRUE(child->write(std::string(200 * 1024, 'x')));  // more than a pipe holds
  EXPECT_TRUE(child->write("pong\n"));
  child->close_stdin();
  EXPECT_FALSE(child->write("late\n"));  // closing: refused, not lost silently
  ASSERT_TRUE(run_until([&] { return !child->running(); }));
  EXPECT_EQ(child->wait_status(), 0);  // echo-stdin ends at EOF: the pipe was closed
  EXPECT_EQ(out, "ping\n" + std::string(200 * 1024, 'x') + "pong\n");
  EXPECT_FALSE(child->write("after exit\n"));
}

// programs.input's path: never blocks on a child that does not read, and says how much it took.
TEST_F(ChildTest, WriteSomeTakesOnlyWhatThePipeHolds) {
  ChildSpec spec = fake_child({"--wait"});
  spec.stdin_pipe = true;
  auto child = spawn(std::move(spec));
  ASSERT_TRUE(child);
  std::string big(4 * 1024 * 1024, 'x');  // more than a pipe can grow to by default
  auto taken = child->write_some(big);
  ASSERT_TRUE(taken) << taken.error().message;
  EXPECT_GT(*taken, 0u);
  EXPECT_LT(*taken, big.size());
  child->close_stdin();
  EXPECT_FALSE(child->has_stdin());
  EXPECT_FALSE(child->write_some("more"));
}

TEST_F(ChildTest, StopEscalatesToSigkillForAChildIgnoringTheStopSignal) {
  auto child = spawn_ready({"--ignore", "TERM"});
  ASSERT_TRUE(child);
  ASSERT_TRUE(stop(*child, 50ms, SIGTERM));
  ASSERT_FALSE(child->running());
  ASSERT_TRUE(WIFSIGNALED(*child->wait_status()));
  EXPECT_EQ(WTERMSIG(*child->wait_status()), SIGKILL);
}

TEST_F(ChildTest, StopEndsWithTheStopSignalWhenTheChildObeys) {
  auto child = spawn_ready({});
  ASSERT_TRUE(child);
  ASSERT_TRUE(stop(*child, 60s, SIGUSR1));
  ASSERT_TRUE(WIFSIGNALED(*child->wait_status()));
  EXPECT_EQ(WTERMSIG(*child->wait_status()), SIGUSR1);
}

TEST_F(ChildTest, DestructionKillsTheWholeGroupAndReportsNothing) {
  std::map<pid_t, int> orphans;
  reaper_.on_orphan([&](pid_t pid, int status) { orphans[pid] = status; });
  int reports = 0;
  auto child = spawn_ready({"--orphan", "600000"}, [&](int) { ++reports; });  // forks a helper
  ASSERT_TRUE(child);
  pid_t leader = child->pid();
  child.reset();
  // Unwatched by then, the leader and its helper both come back to the reaper as orphans.
  ASSERT_TRUE(run_until([&] { return orphans.size() == 2; }));
  EXPECT_EQ(reports, 0);
  for (const auto& [pid, status] : orphans) {
    ASSERT_TRUE(WIFSIGNALED(status)) << "pid " << pid << (pid == leader ? " (leader)" : "");
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
  }
  EXPECT_TRUE(orphans.count(leader));
}

TEST_F(ChildTest, ASpawnFailureIsAValueNotAChild) {
  ChildSpec spec;
  spec.command.argv = {"/nonexistent/taskd-test-binary"};
  auto child = Child::spawn(io_, reaper_, std::move(spec));
  ASSERT_FALSE(child);
  EXPECT_NE(child.error().message.find("cannot execute"), std::string::npos);
}

}  // namespace
}  // namespace taskd::process
