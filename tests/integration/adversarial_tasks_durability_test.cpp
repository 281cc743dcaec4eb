// Faults against task state (issue 10 #17): a reply that says a task exists is sent only once
// its task.json is durable; a data dir that is full answers IO_ERROR and keeps nothing; a kill -9
// during setup or during a burst of creates leaves parseable state and no debris.
#include "tests/support/supervision_helpers.h"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <set>

namespace taskd::test {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;

json::object write_step(const std::string& path) {
  return {{"kind", "write"}, {"path", path}, {"content", "x"}};
}

std::string create_line(int request_id, const std::string& task_id, json::object spec) {
  return json::serialize(json::object{{"jsonrpc", "2.0"},
                                      {"id", request_id},
                                      {"method", "tasks.create"},
                                      {"params", {{"id", task_id}, {"spec", std::move(spec)}}}});
}

// Every leftover of a crash under DATA_DIR/tasks: temp files, and directories without task.json.
std::vector<std::string> debris(const std::string& tasks_dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(tasks_dir, ec)) {
    if (!fs::exists(dir.path() / "task.json")) found.push_back(dir.path().string());
    for (const auto& file : fs::directory_iterator(dir.path(), ec)) {
      if (file.path().filename().string().find(".tmp.") != std::string::npos)
        found.push_back(file.path().string());
    }
  }
  return found;
}

void kill_all(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) ::kill(pid, SIGKILL);
}

TEST(TaskDurability, AFullDataDirAnswersIoErrorAndKeepsNothing) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a tmpfs";
  TempDir work;
  std::string data = work.file("data");
  ASSERT_EQ(::mkdir(data.c_str(), 0700), 0);
  if (::mount("tmpfs", data.c_str(), "tmpfs", 0, "size=256k,mode=0700") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here";
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{data};
  Daemon daemon(DaemonOptions{"data_dir = \"" + data + "\"\n", {}, {}, true});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  auto created = [&](const std::string& id) {
    return client.call("tasks.create", {{"id", id}, {"spec", json::object{}}});
  };
  ASSERT_TRUE(created("before").as_object().contains("result"));
  // Fill the file system to the last byte.
  std::string filler = data + "/filler";
  {
    int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    std::string block(4096, 'f');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    while (::write(fd, block.data(), 1) > 0) {
    }
    ::close(fd);
  }
  auto lost = created("lost");
  ASSERT_TRUE(lost.as_object().contains("error")) << json::serialize(lost);
  EXPECT_EQ(lost.at("error").at("code").as_int64(), -32014);
  EXPECT_EQ(lost.at("error").at("data").at("errno").as_string(), "ENOSPC");
  EXPECT_EQ(
      client.call("tasks.get", {{"id", "lost"}}).at("error").at("data").at("code").as_string(),
      "NOT_FOUND");
  EXPECT_FALSE(path_exists(data + "/tasks/lost"));
  ::unlink(filler.c_str());
  ASSERT_TRUE(created("after").as_object().contains("result"));
  daemon.stop(SIGKILL);
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient again(daemon.socket_path());
  std::set<std::string> ids;
  auto list = again.call("tasks.list", nullptr);
  for (const auto& task : list.at("result").at("tasks").as_array())
    ids.insert(std::string(task.at("id").as_string()));
  EXPECT_EQ(ids, (std::set<std::string>{"after", "before"}));
  daemon.stop();
}

// The lowest descriptor number `pid` has free: the next open(2) would get it.
rlim_t lowest_free_fd(pid_t pid) {
  std::set<long> used;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec))
    used.insert(std::stol(it->path().filename().string()));
  long fd = 0;
  while (used.contains(fd)) ++fd;
  return static_cast<rlim_t>(fd);
}

TEST(TaskDurability, AtTheFdLimitCreateAnswersIoErrorAndKeepsNothing) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(client.call("daemon.health", nullptr).as_object().contains("result"));
  rlimit before{};
  ASSERT_EQ(::prlimit(daemon.pid(), RLIMIT_NOFILE, nullptr, &before), 0);
  rlimit tight = before;
  tight.rlim_cur = lowest_free_fd(daemon.pid());  // no new descriptor can be opened
  ASSERT_EQ(::prlimit(daemon.pid(), RLIMIT_NOFILE, &tight, nullptr), 0);
  auto lost = client.call("tasks.create", {{"id", "lost"}, {"spec", json::object{}}});
  ASSERT_EQ(::prlimit(daemon.pid(), RLIMIT_NOFILE, &before, nullptr), 0);
  ASSERT_TRUE(lost.as_object().contains("error")) << json::serialize(lost);
  EXPECT_EQ(lost.at("error").at("code").as_int64(), -32014);
  EXPECT_EQ(lost.at("error").at("data").at("errno").as_string(), "EMFILE");
  EXPECT_EQ(
      client.call("tasks.get", {{"id", "lost"}}).at("error").at("data").at("code").as_string(),
      "NOT_FOUND");
  EXPECT_FALSE(path_exists(daemon.data_dir() + "/tasks/lost"));
  EXPECT_TRUE(client.call("tasks.create", {{"id", "kept"}, {"spec", json::object{}}})
                  .as_object()
                  .contains("result"));
}

TEST(TaskDurability, AKillDuringSetupLeavesAFailedTaskNotNothing) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  json::object slow{{"kind", "run"}, {"cmd", {"sleep", "100.44"}}};
  ASSERT_TRUE(client.send_line(create_line(1, "slow", {{"setup", {slow}}})));
  std::string state = daemon.data_dir() + "/tasks/slow/task.json";
  bool saved = wait_until([&] { return path_exists(state); });
  auto orphans = descendants_of(daemon.pid());
  daemon.stop(SIGKILL);
  kill_all(orphans);
  ASSERT_TRUE(saved) << "setup ran with nothing on disk";
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient again(daemon.socket_path());
  auto task = again.call("tasks.get", {{"id", "slow"}});
  ASSERT_TRUE(task.as_object().contains("result")) << json::serialize(task);
  EXPECT_EQ(task.at("result").at("setup").at("result").as_string(), "FAIL");
  EXPECT_EQ(task.at("result").at("setup").at("reason").as_string(), "taskd restarted during setup");
}

TEST(TaskDurability, StartRemovesTempFilesAndUnfinishedTaskDirs) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  {
    RpcTestClient client(daemon.socket_path());
    ASSERT_TRUE(client.call("tasks.create", {{"id", "kept"}, {"spec", json::object{}}})
                    .as_object()
                    .contains("result"));
  }
  daemon.stop(SIGKILL);
  std::string tasks = daemon.data_dir() + "/tasks";
  write_file(tasks + "/kept/task.json.tmp.4242", "{\"torn");
  ASSERT_EQ(::mkdir((tasks + "/half").c_str(), 0700), 0);
  write_file(tasks + "/half/task.json.tmp.4243", "{\"torn");
  ASSERT_EQ(debris(tasks).size(), 3u);
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  EXPECT_EQ(debris(tasks), std::vector<std::string>{});
  RpcTestClient client(daemon.socket_path());
  auto list = client.call("tasks.list", nullptr).at("result").at("tasks").as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("id").as_string(), "kept");
}

TEST(TaskDurability, KillNineDuringConcurrentCreatesLosesNoAcknowledgedTask) {
  TempDir work;
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  constexpr int kClients = 4, kPerClient = 40;
  constexpr std::size_t kAcknowledged = 8;
  std::vector<std::unique_ptr<RpcTestClient>> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(std::make_unique<RpcTestClient>(daemon.socket_path()));
    for (int i = 0; i < kPerClient; ++i) {
      std::string id = "c" + std::to_string(c) + "-" + std::to_string(i);
      json::object spec{{"setup", {write_step(work.file(id)), write_step(work.file(id + ".b"))}},
                        {"process", {{"cmd", {"sleep", "100.55"}}}}};
      ASSERT_TRUE(clients.back()->send_line(create_line(i + 1, id, std::move(spec))));
    }
  }
  // Collect a few acknowledgements, then crash while most creates are still in flight.
  std::vector<std::string> acknowledged;
  std::size_t replies = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (acknowledged.size() < kAcknowledged && replies < kClients * kPerClient &&
         std::chrono::steady_clock::now() < deadline) {
    for (auto& client : clients) {
      auto line = client->read_line(20);
      if (!line) continue;
      ++replies;
      auto reply = parse_json(*line);
      if (reply.as_object().contains("result"))
        acknowledged.push_back(std::string(reply.at("result").at("id").as_string()));
    }
  }
  ASSERT_GE(acknowledged.size(), kAcknowledged);
  auto orphans = descendants_of(daemon.pid());
  daemon.stop(SIGKILL);
  kill_all(orphans);
  std::string tasks = daemon.data_dir() + "/tasks";
  for (const auto& id : acknowledged) {
    std::string text = read_file(tasks + "/" + id + "/task.json");
    auto state = parse_json(text);
    ASSERT_TRUE(state.is_object()) << id << ": " << text;
    EXPECT_EQ(state.at("id").as_string(), id);
  }
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  EXPECT_EQ(debris(tasks), std::vector<std::string>{});
  RpcTestClient client(daemon.socket_path());
  std::set<std::string> listed;
  auto list = client.call("tasks.list", nullptr);
  for (const auto& task : list.at("result").at("tasks").as_array())
    listed.insert(std::string(task.at("id").as_string()));
  for (const auto& id : acknowledged) EXPECT_TRUE(listed.contains(id)) << id;
  kill_all(descendants_of(daemon.pid()));
}

}  // namespace
}  // namespace taskd::test
