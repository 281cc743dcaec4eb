// Supervised programs that misbehave on purpose, against the real daemon (issue 10, findings 16,
// 19, 21, 22): programs that exit as fast as they start, helpers that outlive their leader, a log
// file system that fills up, and a shutdown that lands in the middle of a reload.
#include "tests/support/supervision_helpers.h"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace taskd::test {
namespace {
namespace json = boost::json;

std::size_t open_fds(pid_t pid) {
  std::error_code ec;
  std::size_t count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++count;
  return count;
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t found = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++found;
  return found;
}

// Live processes whose command line contains `marker` (each test marks its children).
std::vector<pid_t> processes_marked(const std::string& marker) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(name);
    std::string cmdline = read_file("/proc/" + name + "/cmdline");
    if (cmdline.find(marker) != std::string::npos && process_alive(pid)) found.push_back(pid);
  }
  return found;
}

bool healthy(RpcTestClient& client) {
  // A generous bound: this checks that the daemon answers at all, not how fast under load.
  auto reply = client.call("daemon.health", nullptr, 15000);
  return reply.is_object() && reply.as_object().contains("result");
}

std::optional<json::value> event_of_type(RpcTestClient& client, const std::string& type,
                                         std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto event = client.next_event(500);
    if (event && event->at("params").at("type").as_string() == type) return event;
  }
  return std::nullopt;
}

// Finding 21: eight instances of a program that exits at once, restarted always, with starttime
// 0, used to keep the loop inside reap → exit → spawn: health answered after minutes, SIGTERM was
// ignored and pipe fds piled up.
TEST(AdversarialSupervision, ProgramsExitingAtOnceCannotStarveTheDaemon) {
  Daemon daemon({.config = "[programs.spin]\ncmd = \"/bin/true\"\nnumprocs = 8\nstarttime = 0\n"
                           "autorestart = \"always\"\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  std::size_t most_fds = 0;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(healthy(client)) << "daemon.health got no answer, round " << i;
    most_fds = std::max(most_fds, open_fds(daemon.pid()));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_LT(most_fds, 200u) << "fds pile up";
  EXPECT_EQ(daemon.stop(SIGTERM), 0);  // answered while restarts are still going on
}

TEST(AdversarialSupervision, ProgramsExitingAtOnceRestartAboutOnceASecond) {
  Daemon daemon({.config = "[programs.spin]\ncmd = \"/bin/true\"\nnumprocs = 8\nstarttime = 0\n"
                           "autorestart = \"always\"\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(wait_until([&] {
    return daemon.log().find(
               "exited too quickly: spin:spin_07 ran for less than 1 s; BACKOFF, "
               "restarting in 1 s") != std::string::npos;
  }));
  auto spawns_before = count_of(daemon.log(), "spawned: 'spin:spin_");
  std::this_thread::sleep_for(std::chrono::seconds(3));
  auto spawns = count_of(daemon.log(), "spawned: 'spin:spin_") - spawns_before;
  // Eight instances, each restarted a second after it exits: about 24 (thousands before).
  EXPECT_GE(spawns, 8u);
  EXPECT_LE(spawns, 8u * 5u);
  EXPECT_EQ(process_status(client, "spin:spin_03").at("backoff").as_int64(), 0);
}

// Finding 22: `sh -c "helper & exec leader"`; kill -9 the leader. Its helper used to survive the
// restart, programs.stop and shutdown, ending up under PID 1.
TEST(AdversarialSupervision, HelpersDieWithTheirGroupLeader) {
  TempDir scratch;
  std::string helper_pid = scratch.file("helper.pid");
  std::string script = fake_child_binary() + " --wait & echo $! > " + helper_pid + "; exec " +
                       fake_child_binary() + " --wait";
  Daemon daemon({.config = "[programs.lead]\ncmd = [\"/bin/sh\", \"-c\", \"" + script + "\"]\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(wait_for_state(client, "lead", "RUNNING"));
  ASSERT_TRUE(wait_until([&] { return !read_file(helper_pid).empty(); }));
  pid_t helper = std::stoi(read_file(helper_pid));
  ASSERT_TRUE(process_alive(helper));
  ::unlink(helper_pid.c_str());
  auto leader = pid_of(client, "lead");
  ASSERT_EQ(::kill(static_cast<pid_t>(leader), SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] { return !process_alive(helper); })) << "helper survived its leader";
  // Restarted (killed by a signal: unexpected) with a new helper of its own.
  ASSERT_TRUE(wait_until([&] {
    auto pid = pid_of(client, "lead");
    return pid > 0 && pid != leader && state_of(client, "lead") == "RUNNING";
  }));
  ASSERT_TRUE(wait_until([&] { return !read_file(helper_pid).empty(); }));
  pid_t second_helper = std::stoi(read_file(helper_pid));
  EXPECT_TRUE(process_alive(second_helper));
  auto stopped = client.call("programs.stop", {{"names", {"lead"}}});
  EXPECT_TRUE(stopped.at("result").at("results").at(0).at("ok").as_bool())
      << json::serialize(stopped);
  EXPECT_TRUE(wait_until([&] { return !process_alive(second_helper); }));
}

// Finding 19: a log file system that fills up used to lose the rest of a program's output for
// the life of the process, even after space was freed.
class TmpfsMount {
 public:
  explicit TmpfsMount(std::string path) : path_(std::move(path)) {
    std::filesystem::create_directories(path_);
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=512k") == 0;
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

void fill(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  std::string block(4096, 'f');
  while (::write(fd, block.data(), block.size()) > 0) {
  }
  EXPECT_EQ(errno, ENOSPC);
  ::close(fd);
}

TEST(AdversarialSupervision, OutputReachesTheLogAgainAfterTheDiskWasFull) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  TempDir scratch;
  TmpfsMount small(scratch.file("fs"));
  if (!small.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here";
  std::string out = scratch.file("fs/out.log");
  // About 10 KB/s, so the log's last tmpfs page fills soon after the file system does.
  Daemon daemon({.config = "[programs.talk]\ncmd = [\"/bin/sh\", \"-c\", \"i=0; while :; do echo "
                           "line $i " +
                           std::string(90, 'x') +
                           "; i=$((i+1)); sleep 0.01; done\"]\n"
                           "starttime = 0\nstdout_maxbytes = 0\nstdout = \"" +
                           out + "\"\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient watcher(daemon.socket_path());
  watcher.call("events.subscribe", {{"topics", {"process"}}});
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(wait_until([&] { return file_size(out) > 0; }));
  fill(scratch.file("fs/filler"));
  auto dropped_bytes = [&]() -> std::int64_t {
    auto status = process_status(client, "talk");
    const json::value* field =
        status.is_object() ? status.as_object().if_contains("output_dropped_bytes") : nullptr;
    return field ? field->to_number<std::int64_t>() : -1;
  };
  ASSERT_TRUE(wait_until([&] { return dropped_bytes() > 0; })) << dropped_bytes();
  auto dropping = event_of_type(watcher, "output_dropped", std::chrono::seconds(5));
  ASSERT_TRUE(dropping);
  EXPECT_EQ(dropping->at("params").at("path").as_string(), out);
  EXPECT_NE(std::string(dropping->at("params").at("error").as_string()).find("No space left"),
            std::string::npos)
      << json::serialize(*dropping);
  EXPECT_EQ(state_of(client, "talk"), "RUNNING");  // the child never blocked nor died

  std::uint64_t full_size = file_size(out);
  ASSERT_EQ(::unlink(scratch.file("fs/filler").c_str()), 0);
  EXPECT_TRUE(wait_until([&] { return file_size(out) > full_size + 100; }))
      << "output never reached the log again";
  auto resumed = event_of_type(watcher, "output_resumed", std::chrono::seconds(5));
  ASSERT_TRUE(resumed);
  EXPECT_GT(resumed->at("params").at("dropped_bytes").to_number<std::int64_t>(), 0);
  EXPECT_GT(dropped_bytes(), 0);
  EXPECT_NE(daemon.log().find("dropping output of talk"), std::string::npos);
}

// Finding 16: a shutdown that arrives while a reload waits for a changed program to stop used to
// work on Process objects the reload had already freed (and to leave the reload's new processes
// to the destructors). `late` stops first (highest priority) and slowly, so the reload finishes
// while the shutdown still waits for it, then the shutdown went on to the freed `change` (which
// ASan reports; without ASan the freed block was usually reused by the new `change`).
std::string racing_config(const std::string& marker, bool changed) {
  return "[programs.late]\n" + fake_cmd({"--ignore", "TERM", "--out", marker, "--wait"}) +
         "starttime = 0\nstoptime = 0.6\npriority = 999\n"
         "[programs.change]\n" +
         fake_cmd({"--ignore", "TERM", "--out", marker, "--out", changed ? "after" : "before",
                   "--wait"}) +
         "starttime = 0\nstoptime = 0.2\npriority = 1\n";
}

void rewrite_config(const Daemon& daemon, const std::string& programs) {
  write_file(daemon.config_path(), "[daemon]\nsocket = \"" + daemon.socket_path() +
                                       "\"\ndata_dir = \"" + daemon.data_dir() + "\"\n" + programs);
}

void expect_clean_exit(Daemon& daemon, int code, const std::string& marker, int round) {
  EXPECT_EQ(code, 0) << "round " << round;
  std::string log = daemon.log();
  EXPECT_EQ(log.find("removed while running"), std::string::npos) << "round " << round;
  // The reload's new `change` must not start once the shutdown began (it did, and the shutdown
  // then stopped it through a stale Process* that happened to point at the new object).
  auto shutting_down = log.find("shutting down");
  ASSERT_NE(shutting_down, std::string::npos);
  EXPECT_EQ(log.find("spawned:", shutting_down), std::string::npos) << "round " << round << log;
  EXPECT_EQ(read_file(daemon.dir() + "/stderr.log").find("AddressSanitizer"), std::string::npos);
  EXPECT_TRUE(wait_until([&] { return processes_marked(marker).empty(); }, std::chrono::seconds(5)))
      << "round " << round << ": a child outlived taskd";
}

TEST(AdversarialSupervision, ShutdownDuringASighupReloadIsClean) {
  for (int round = 0; round < 50 && !::testing::Test::HasFailure(); ++round) {
    TempDir mark;  // a unique word in every child's command line
    Daemon daemon({.config = racing_config(mark.path(), false)});
    ASSERT_TRUE(daemon.start()) << daemon.startup_error();
    RpcTestClient client(daemon.socket_path());
    ASSERT_TRUE(wait_until([&] { return processes_marked(mark.path()).size() == 2; }));
    rewrite_config(daemon, racing_config(mark.path(), true));
    ASSERT_EQ(::kill(daemon.pid(), SIGHUP), 0);
    ASSERT_TRUE(
        wait_until([&] { return daemon.log().find("reload: added=") != std::string::npos; }));
    int code = daemon.stop(SIGTERM);
    expect_clean_exit(daemon, code, mark.path(), round);
  }
}

TEST(AdversarialSupervision, ShutdownDuringAnRpcReloadIsClean) {
  for (int round = 0; round < 50 && !::testing::Test::HasFailure(); ++round) {
    TempDir mark;
    Daemon daemon({.config = racing_config(mark.path(), false)});
    ASSERT_TRUE(daemon.start()) << daemon.startup_error();
    RpcTestClient client(daemon.socket_path());
    ASSERT_TRUE(wait_until([&] { return processes_marked(mark.path()).size() == 2; }));
    rewrite_config(daemon, racing_config(mark.path(), true));
    // Pipelined: the reload is waiting for `change` to stop when the shutdown begins.
    ASSERT_TRUE(client.send_line(R"({"jsonrpc":"2.0","id":1,"method":"daemon.reload"})"));
    ASSERT_TRUE(client.send_line(R"({"jsonrpc":"2.0","id":2,"method":"daemon.shutdown"})"));
    int code = daemon.stop(0);  // signal 0: only wait for the exit
    expect_clean_exit(daemon, code, mark.path(), round);
  }
}

}  // namespace
}  // namespace taskd::test
