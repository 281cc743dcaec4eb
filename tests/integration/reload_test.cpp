// SIGHUP and daemon.reload: unchanged programs keep their pids; changed restart; removed stop;
// added start; numprocs changes touch only the instances that come or go; a bad file changes
// nothing.
#include "tests/support/supervision_helpers.h"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include <signal.h>

namespace taskd::test {
namespace {
namespace json = boost::json;

std::string program(const std::string& name, std::initializer_list<std::string> args,
                    int numprocs = 1) {
  return "[programs." + name + "]\n" + fake_cmd(args) +
         "starttime = 0\nnumprocs = " + std::to_string(numprocs) + "\n";
}

void rewrite_config(const Daemon& daemon, const std::string& programs) {
  write_file(daemon.config_path(), "[daemon]\nsocket = \"" + daemon.socket_path() +
                                       "\"\ndata_dir = \"" + daemon.data_dir() + "\"\n" + programs);
}

std::map<std::string, std::int64_t> running_pids(RpcTestClient& client) {
  std::map<std::string, std::int64_t> pids;
  auto reply = client.call("programs.status");
  for (const auto& p : reply.at("result").at("processes").as_array()) {
    if (p.at("state").as_string() == "RUNNING")
      pids[std::string(p.at("name").as_string())] = p.at("pid").as_int64();
  }
  return pids;
}

class Reload : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon.start()) << daemon.startup_error();
    connection = std::make_unique<RpcTestClient>(daemon.socket_path());
    ASSERT_TRUE(wait_until([&] { return running_pids(*connection).size() == 5; }));
    before = running_pids(*connection);
  }

  Daemon daemon{{.config = program("keep", {"--wait"}) + program("change", {"--wait"}) +
                           program("gone", {"--wait"}) + program("w", {"--wait"}, 2)}};
  std::unique_ptr<RpcTestClient> connection;
  std::map<std::string, std::int64_t> before;
  const std::string next = program("keep", {"--wait"}) +
                           program("change", {"--sleep", "1", "--wait"}) +
                           program("fresh", {"--wait"}) + program("w", {"--wait"}, 3);
};

TEST_F(Reload, SighupAppliesTheDiff) {
  rewrite_config(daemon, next);
  ASSERT_EQ(::kill(daemon.pid(), SIGHUP), 0);
  ASSERT_TRUE(wait_until([&] {
    auto now = running_pids(*connection);
    return now.contains("fresh") && now.contains("w:w_02") && now.contains("change") &&
           !now.contains("gone");
  }));
  auto after = running_pids(*connection);
  EXPECT_EQ(after.at("keep"), before.at("keep"));
  EXPECT_EQ(after.at("w:w_00"), before.at("w:w_00"));
  EXPECT_EQ(after.at("w:w_01"), before.at("w:w_01"));
  EXPECT_NE(after.at("change"), before.at("change"));
  EXPECT_FALSE(process_alive(static_cast<pid_t>(before.at("gone"))));
  EXPECT_FALSE(process_alive(static_cast<pid_t>(before.at("change"))));
  EXPECT_EQ(process_status(*connection, "gone"), json::value(nullptr));
  EXPECT_NE(daemon.log().find("reload: added=fresh,w:w_02 changed=change removed=gone unchanged=3"),
            std::string::npos)
      << daemon.log();
}

TEST_F(Reload, RereadShowsTheDiffWithoutApplyingIt) {
  rewrite_config(daemon, next);
  auto reply = connection->call("daemon.reload", {{"dry_run", true}});
  ASSERT_TRUE(reply.as_object().contains("result")) << json::serialize(reply);
  EXPECT_EQ(
      json::serialize(reply.at("result")),
      R"({"applied":false,"added":["fresh","w:w_02"],"changed":["change"],"removed":["gone"],)"
      R"("unchanged":["keep","w:w_00","w:w_01"]})");
  EXPECT_FALSE(reply.at("result").at("applied").as_bool());
  EXPECT_EQ(reply.at("result").at("removed").as_array().size(), 1u);
  EXPECT_EQ(running_pids(*connection), before);
  auto text = daemon.taskctl({"reread"});
  EXPECT_EQ(text.out, "gone: disappeared\nchange: changed\nfresh: available\nw:w_02: available\n");
  auto applied = daemon.taskctl({"update"});
  EXPECT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_EQ(applied.out,
            "gone: removed\nchange: updated (restarted)\nfresh: added\nw:w_02: added\n");
  EXPECT_EQ(daemon.taskctl({"reread"}).out, "No config updates to processes\n");
}

TEST_F(Reload, InvalidConfigChangesNothing) {
  rewrite_config(daemon, next + "[programs.broken]\ncmd = \"x\"\nnumprocs = \"many\"\n");
  auto reply = connection->call("daemon.reload");
  ASSERT_TRUE(reply.as_object().contains("error")) << json::serialize(reply);
  EXPECT_EQ(reply.at("error").at("data").at("code").as_string(), "INVALID_CONFIG");
  std::string message(reply.at("error").at("message").as_string());
  EXPECT_NE(message.find(daemon.config_path() + ":"), std::string::npos) << message;
  EXPECT_NE(message.find("programs.broken.numprocs"), std::string::npos) << message;
  ASSERT_EQ(::kill(daemon.pid(), SIGHUP), 0);  // the same through SIGHUP: logged, ignored
  EXPECT_TRUE(
      wait_until([&] { return daemon.log().find("reload rejected") != std::string::npos; }));
  EXPECT_EQ(running_pids(*connection), before);
  auto text = daemon.taskctl({"reload"});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.err.find("programs.broken.numprocs"), std::string::npos) << text.err;
}

}  // namespace
}  // namespace taskd::test
