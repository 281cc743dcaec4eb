// Child records (finding 18): /proc/PID/stat parsing, and which records name a survivor of a
// previous taskd — a live process with the same pid and start time, never a recycled pid.
#include "daemon/process/child_records.h"
#include "daemon/process/spawn.h"
#include "tests/support/daemon_harness.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace taskd::process::child_records {
namespace {
using namespace std::chrono_literals;

TEST(ChildRecords, ParsesProcStatWithAHostileCommand) {
  std::string stat =
      "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 101 0 0 0 0 0 0 0 20 0 1 0 987654 1 2 3";
  auto parsed = parse_proc_stat(stat);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->pid, 4242);
  EXPECT_EQ(parsed->command, "a) b (c");
  EXPECT_EQ(parsed->state, 'S');
  EXPECT_EQ(parsed->pgid, 4242);
  EXPECT_EQ(parsed->session, 4242);
  EXPECT_EQ(parsed->start_time, 987654u);
  EXPECT_FALSE(parse_proc_stat("4242 (x) S 1 2"));
  EXPECT_FALSE(parse_proc_stat("nonsense"));
  EXPECT_FALSE(parse_proc_stat(""));
}

TEST(ChildRecords, ReadsItsOwnStat) {
  auto self = read_proc_stat(::getpid());
  ASSERT_TRUE(self);
  EXPECT_EQ(self->pid, ::getpid());
  EXPECT_GT(self->start_time, 0u);
}

struct Sleeper {
  pid_t pid = -1;
  // with_helper: a shell that waits for a helper in its session.
  explicit Sleeper(bool with_helper = false) {
    SpawnSpec spec;
    spec.argv = {test::fake_child_binary(), "--sleep", "30000"};
    if (with_helper) spec.argv = {"sh", "-c", test::fake_child_binary() + " --sleep 30000 & wait"};
    spec.stdout_spec.mode = OutputMode::kNull;
    auto spawned = spawn_process(spec);
    if (spawned) pid = spawned->pid;
  }
  ~Sleeper() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

TEST(ChildRecords, ARecordedLiveChildIsASurvivorARecycledPidIsNot) {
  test::TempDir dir;
  std::string records = dir.file("children");
  ASSERT_TRUE(enable(records));
  Sleeper live, recycled;
  ASSERT_GT(live.pid, 0);
  ASSERT_GT(recycled.pid, 0);
  disable();
  // The same pid, but another process than the one recorded: its start time differs.
  auto stat = read_proc_stat(recycled.pid);
  ASSERT_TRUE(stat);
  test::write_file(records + "/" + std::to_string(recycled.pid),
                   std::to_string(stat->start_time + 1) + "\n");
  test::write_file(records + "/999999999", "1\n");  // long gone
  test::write_file(records + "/1", "1\n");          // never init
  test::write_file(records + "/junk", "x\n");

  auto survivors = find_survivors(records);
  ASSERT_EQ(survivors.size(), 1u);
  EXPECT_EQ(survivors[0].pid, live.pid);
  EXPECT_EQ(survivors[0].command, "fake_child");
}

TEST(ChildRecords, ReapedChildrenAreForgotten) {
  test::TempDir dir;
  std::string records = dir.file("children");
  ASSERT_TRUE(enable(records));
  pid_t pid;
  {
    Sleeper child;
    pid = child.pid;
    EXPECT_TRUE(test::path_exists(records + "/" + std::to_string(pid)));
  }
  forget(pid);  // what the reaper does
  disable();
  EXPECT_FALSE(test::path_exists(records + "/" + std::to_string(pid)));
}

TEST(ChildRecords, StopsSurvivorsAndTheirGroupButNotARecycledPid) {
  test::TempDir dir;
  std::string records = dir.file("children");
  ASSERT_TRUE(enable(records));
  Sleeper survivor, innocent(true);
  disable();
  auto stat = read_proc_stat(innocent.pid);
  ASSERT_TRUE(stat);
  // An older process had this pid: the innocent one and the helper in its session are newer.
  test::write_file(records + "/" + std::to_string(innocent.pid),
                   std::to_string(stat->start_time - 1) + "\n");
  pid_t helper = 0;
  ASSERT_TRUE(test::wait_until([&] {
    std::string children = test::read_file("/proc/" + std::to_string(innocent.pid) + "/task/" +
                                           std::to_string(innocent.pid) + "/children");
    helper = static_cast<pid_t>(std::atoi(children.c_str()));
    return helper > 0;
  }));
  auto stopped = stop_survivors(records, 5s);
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(stopped[0].pid, survivor.pid);
  int status = 0;
  ASSERT_EQ(::waitpid(survivor.pid, &status, 0), survivor.pid);
  survivor.pid = -1;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  EXPECT_TRUE(test::process_alive(innocent.pid)) << "a process with a recycled pid was killed";
  EXPECT_TRUE(test::process_alive(helper)) << "a recycled pid's session was stopped";
  ::kill(helper, SIGKILL);
  EXPECT_TRUE(find_survivors(records).empty());
  EXPECT_FALSE(test::path_exists(records + "/" + std::to_string(innocent.pid)))
      << "records are removed after the sweep";
}

// `sh -c "helper & exec leader"` whose leader died while taskd was down: the helper, still in the
// recorded child's session, is stopped too.
TEST(ChildRecords, StopsHelpersWhoseRecordedLeaderIsGone) {
  test::TempDir dir;
  std::string records = dir.file("children");
  ASSERT_TRUE(enable(records));
  SpawnSpec spec;
  spec.argv = {"sh", "-c", test::fake_child_binary() + " --sleep 30000 >/dev/null & echo $!"};
  auto leader = spawn_process(spec);
  disable();
  ASSERT_TRUE(leader);
  ::fcntl(leader->stdout_pipe.get(), F_SETFL, 0);
  char text[32] = {};
  ASSERT_GT(::read(leader->stdout_pipe.get(), text, sizeof text - 1), 0);
  pid_t helper = static_cast<pid_t>(std::atoi(text));
  ::waitpid(leader->pid, nullptr, 0);  // the leader is gone, its record stays
  ASSERT_TRUE(test::process_alive(helper));

  auto stopped = stop_survivors(records, 5s);
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(stopped[0].pid, helper);
  EXPECT_FALSE(stopped[0].leader);
  bool gone = test::wait_until([&] { return !test::process_alive(helper); }, 10s);
  if (!gone) ::kill(helper, SIGKILL);
  EXPECT_TRUE(gone) << "the helper of a dead recorded leader survived";
}

}  // namespace
}  // namespace taskd::process::child_records
