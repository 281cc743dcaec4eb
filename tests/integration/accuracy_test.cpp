// The daemon always knows which processes are alive: kill -9 supervised children at random 200
// times and check after each kill that programs.status agrees with /proc and no zombie is left.
#include "tests/support/supervision_helpers.h"

#include <gtest/gtest.h>

#include <signal.h>

#include <random>

namespace taskd::test {
namespace {
namespace json = boost::json;

// pid -> (state letter, parent pid) for the daemon's children, from /proc.
std::map<pid_t, std::pair<char, pid_t>> children_of(pid_t daemon) {
  std::map<pid_t, std::pair<char, pid_t>> out;
  std::string list = read_file("/proc/" + std::to_string(daemon) + "/task/" +
                               std::to_string(daemon) + "/children");
  std::istringstream in(list);
  pid_t pid;
  while (in >> pid) {
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state = stat[close + 2];
    pid_t parent = std::atoi(stat.c_str() + close + 4);
    out[pid] = {state, parent};
  }
  return out;
}

TEST(Accuracy, RandomKillNineTwoHundredTimes) {
  Daemon daemon({.config = "[programs.victim]\n" + fake_cmd({"--wait"}) +
                           "numprocs = 4\nstarttime = 0\nautorestart = \"always\"\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  std::mt19937 random(12345);
  auto statuses = [&] {
    return client.call("programs.status").at("result").at("processes").as_array();
  };
  ASSERT_TRUE(wait_until([&] {
    auto all = statuses();
    return std::all_of(all.begin(), all.end(),
                       [](const json::value& p) { return p.at("state").as_string() == "RUNNING"; });
  }));
  for (int round = 0; round < 200; ++round) {
    std::string name = "victim:victim_0" + std::to_string(random() % 4);
    std::int64_t victim = pid_of(client, name);
    ASSERT_GT(victim, 0) << "round " << round;
    ASSERT_EQ(::kill(static_cast<pid_t>(victim), SIGKILL), 0);
    // The daemon notices the death and restarts it with a new pid.
    ASSERT_TRUE(wait_until([&] {
      auto pid = pid_of(client, name);
      return pid > 0 && pid != victim && state_of(client, name) == "RUNNING";
    })) << "round "
        << round;
    // Every pid it reports is alive and its child; every child is one it reports; no zombies.
    auto kids = children_of(daemon.pid());
    std::set<std::int64_t> reported;
    for (const auto& p : statuses()) {
      std::int64_t pid = p.at("pid").as_int64();
      ASSERT_EQ(p.at("state").as_string(), "RUNNING") << "round " << round;
      ASSERT_TRUE(kids.contains(static_cast<pid_t>(pid))) << "round " << round << " pid " << pid;
      reported.insert(pid);
    }
    for (const auto& [pid, info] : kids) {
      ASSERT_NE(info.first, 'Z') << "zombie " << pid << " in round " << round;
      ASSERT_TRUE(reported.contains(pid)) << "unreported child " << pid << " in round " << round;
    }
  }
}

}  // namespace
}  // namespace taskd::test
