// A session reply or event that says something happened is sent only once session.json is on
// disk; a failed save is an error with the errno, and crash litter is cleaned at start (issue 10,
// finding 17, sessions part). The full disk is a small tmpfs mounted over the sessions dir.
#include "tests/support/supervision_helpers.h"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

namespace taskd::test {
namespace {
namespace json = boost::json;

// A tmpfs of a few pages at `path`, unmounted on destruction.
class SmallFs {
 public:
  explicit SmallFs(const std::string& path) : path_(path) {
    ::mkdir(path.c_str(), 0700);
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=64k,mode=0700") == 0;
  }
  ~SmallFs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  // Writes a filler file until the file system says ENOSPC.
  void fill() {
    int fd = ::open((path_ + "/filler").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    std::string block(4096, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    while (::write(fd, block.data(), 1) > 0) {
    }
    ::close(fd);
  }
  void free_space() { ::unlink((path_ + "/filler").c_str()); }

 private:
  std::string path_;
  bool mounted_ = false;
};

class SessionsDurability : public ::testing::Test {
 protected:
  void SetUp() override {
    fs = std::make_unique<SmallFs>(sessions_dir);
    if (!fs->mounted()) GTEST_SKIP() << "cannot mount a tmpfs (needs root)";
    ASSERT_TRUE(daemon->start()) << daemon->startup_error();
    client = std::make_unique<RpcTestClient>(daemon->socket_path());
    client->call("events.subscribe", {{"topics", {"session"}}});
  }
  void TearDown() override {
    if (daemon->running()) daemon->stop();
  }
  json::value call(const std::string& method, json::value params = nullptr) {
    return client->call(method, std::move(params), 20000);
  }
  json::value event(const std::string& type) {
    for (int i = 0; i < 100; ++i) {
      auto next = client->next_event(10000);
      if (!next) break;
      if (next->at("params").at("type").as_string() == type) return next->at("params");
    }
    ADD_FAILURE() << "no " << type << " event";
    return nullptr;
  }
  bool listed(const std::string& id) {
    json::value state = call("session.state");
    for (const auto& s : state.at("result").at("sessions").as_array()) {
      if (s.at("id").as_string() == id) return true;
    }
    return false;
  }

  TempDir dir;
  std::string sessions_dir = dir.file("sessions");
  std::unique_ptr<SmallFs> fs;
  std::unique_ptr<Daemon> daemon = std::make_unique<Daemon>(
      DaemonOptions{.config = "[sessions]\nagent = [\"" + echo_agent_binary() +
                              "\"]\nready = \"line\"\ndir = \"" + sessions_dir + "\"\n"});
  std::unique_ptr<RpcTestClient> client;
};

TEST_F(SessionsDurability, OpenOnAFullDiskIsAnErrorWithTheErrnoAndLeavesNoSession) {
  fs->fill();
  auto reply = call("session.open", {{"id", "lost"}});
  ASSERT_TRUE(reply.as_object().contains("error")) << json::serialize(reply);
  EXPECT_EQ(reply.at("error").at("data").at("code").as_string(), "IO_ERROR");
  EXPECT_EQ(reply.at("error").at("data").at("errno").as_string(), "ENOSPC");
  EXPECT_FALSE(listed("lost"));
  EXPECT_FALSE(path_exists(sessions_dir + "/lost"));
  fs->free_space();
  auto retried = call("session.open", {{"id", "lost"}});
  EXPECT_EQ(retried.at("result").at("mode").as_string(), "created") << json::serialize(retried);
  EXPECT_TRUE(path_exists(sessions_dir + "/lost/session.json"));
}

TEST_F(SessionsDurability, ATurnThatCouldNotBeSavedSaysSoInAgentEnd) {
  ASSERT_EQ(call("session.open", {{"id", "a"}}).at("result").at("mode").as_string(), "created");
  call("session.switch", {{"id", "a"}});
  event("task_ready");
  fs->fill();
  call("session.prompt", {{"message", "hello"}});
  auto end = event("agent_end");
  ASSERT_TRUE(end.is_object());
  EXPECT_EQ(end.at("code").as_string(), "IO_ERROR") << json::serialize(end);
  EXPECT_EQ(end.at("errno").as_string(), "ENOSPC");
  EXPECT_NE(std::string(end.at("message").as_string()).find("session.json"), std::string::npos);
  // Kept in memory and saved with the next turn once there is room again.
  fs->free_space();
  call("session.prompt", {{"message", "again"}});
  auto next = event("agent_end");
  EXPECT_FALSE(next.as_object().contains("code")) << json::serialize(next);
  auto file = parse_json(read_file(sessions_dir + "/a/session.json"));
  EXPECT_EQ(file.at("turns").as_array().size(), 2u);
}

TEST_F(SessionsDurability, StaleTempFilesAreRemovedAtStart) {
  ASSERT_EQ(call("session.open", {{"id", "a"}}).at("result").at("mode").as_string(), "created");
  EXPECT_EQ(daemon->stop(), 0);
  write_file(sessions_dir + "/a/session.json.tmp.12345", "{half");
  ASSERT_TRUE(daemon->start()) << daemon->startup_error();
  EXPECT_FALSE(path_exists(sessions_dir + "/a/session.json.tmp.12345"));
  EXPECT_TRUE(path_exists(sessions_dir + "/a/session.json"));
}

}  // namespace
}  // namespace taskd::test
