// Attacks on task setup as the real unprivileged user `nobody` against the real daemon
// (issue 10 #1, #2, #3, #4, #6, #8): planted symlinks and FIFOs under a directory the agent owns,
// writes that must replace the inode, ids that must not wrap, NUL bytes, and a tasks.sync with
// one bad entry.
#include "common/unique_fd.h"
#include "tests/support/supervision_helpers.h"
#include "tests/support/unprivileged.h"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace taskd::test {
namespace {
namespace json = boost::json;

class AdversarialTasks : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!can_drop_to_nobody()) GTEST_SKIP() << "needs root";
    ASSERT_TRUE(daemon.start()) << daemon.startup_error();
    client = std::make_unique<RpcTestClient>(daemon.socket_path());
    agent = attacker_dir(work.path(), "agent");
    victim = work.file("victim");
    write_file(victim, "root secret\n");
    ::chmod(victim.c_str(), 0600);
    ::mkdir(work.file("victim-dir").c_str(), 0700);
  }
  json::value call(const std::string& method, json::value params, int timeout_ms = 30000) {
    return client->call(method, std::move(params), timeout_ms);
  }
  // The reply's result, or its error object.
  json::value create(const std::string& id, json::array setup, int timeout_ms = 30000) {
    json::object spec{{"setup", std::move(setup)}};
    auto reply = call("tasks.create", {{"id", id}, {"spec", std::move(spec)}}, timeout_ms);
    if (reply.is_null()) return nullptr;
    return reply.as_object().contains("result") ? reply.at("result") : reply.at("error");
  }
  static std::string reason(const json::value& result) {
    return result.is_object() && result.as_object().contains("reason")
               ? std::string(result.at("reason").as_string())
               : json::serialize(result);
  }
  static std::string field(const json::value& error) {
    return std::string(error.at("data").at("field").as_string());
  }
  // As nobody: plant `link` -> `target`.
  static void plant_symlink(const std::string& target, const std::string& link) {
    ASSERT_EQ(run_as_nobody([&] { return ::symlink(target.c_str(), link.c_str()) == 0 ? 0 : 1; }),
              0);
  }
  static struct stat stat_of(const std::string& path) {
    struct stat st {};
    ::lstat(path.c_str(), &st);
    return st;
  }

  TempDir work;
  Daemon daemon;
  std::unique_ptr<RpcTestClient> client;
  std::string agent, victim;
};

TEST_F(AdversarialTasks, WriteRefusesAPlantedSymlinkAndLeavesTheVictimAlone) {
  plant_symlink(victim, agent + "/app.conf");
  auto r = create("w", {{{"kind", "write"},
                         {"path", agent + "/app.conf"},
                         {"content", "owned\n"},
                         {"owner", "nobody"}}});
  EXPECT_EQ(r.at("result").as_string(), "FAIL") << json::serialize(r);
  EXPECT_NE(reason(r).find("symlink"), std::string::npos) << reason(r);
  EXPECT_EQ(read_file(victim), "root secret\n");
  EXPECT_EQ(stat_of(victim).st_uid, 0u);
  EXPECT_EQ(stat_of(victim).st_mode & 07777, 0600u);
}

TEST_F(AdversarialTasks, ChmodChownAndMkdirRefusePlantedSymlinks) {
  plant_symlink(victim, agent + "/c1");
  plant_symlink(work.file("victim-dir"), agent + "/dirlink");
  auto chmod = create("chmod", {{{"kind", "chmod"}, {"path", agent + "/c1"}, {"mode", "0666"}}});
  EXPECT_EQ(chmod.at("result").as_string(), "FAIL") << json::serialize(chmod);
  auto chown = create("chown", {{{"kind", "chown"}, {"path", agent + "/c1"}, {"owner", "nobody"}}});
  EXPECT_EQ(chown.at("result").as_string(), "FAIL") << json::serialize(chown);
  EXPECT_EQ(stat_of(victim).st_mode & 07777, 0600u);
  EXPECT_EQ(stat_of(victim).st_uid, 0u);
  auto mkdir = create("mkdir", {{{"kind", "mkdir"}, {"path", agent + "/dirlink/new/deeper"}}});
  EXPECT_EQ(mkdir.at("result").as_string(), "FAIL") << json::serialize(mkdir);
  EXPECT_NE(reason(mkdir).find("symlink"), std::string::npos) << reason(mkdir);
  auto write = create(
      "write", {{{"kind", "write"}, {"path", agent + "/dirlink/planted"}, {"content", "x"}}});
  EXPECT_EQ(write.at("result").as_string(), "FAIL") << json::serialize(write);
  auto chmod_dir = create(
      "chmod-dir",
      {{{"kind", "mkdir"}, {"path", agent + "/dirlink"}, {"mode", "0777"}, {"owner", "nobody"}}});
  EXPECT_EQ(chmod_dir.at("result").as_string(), "FAIL") << json::serialize(chmod_dir);
  EXPECT_FALSE(path_exists(work.file("victim-dir/new")));
  EXPECT_FALSE(path_exists(work.file("victim-dir/planted")));
  EXPECT_EQ(stat_of(work.file("victim-dir")).st_mode & 07777, 0700u);
  EXPECT_EQ(stat_of(work.file("victim-dir")).st_uid, 0u);
}

TEST_F(AdversarialTasks, FollowingSymlinksIsAnExplicitOptIn) {
  write_file(work.file("real.conf"), "old\n");
  ASSERT_EQ(::symlink(work.file("real.conf").c_str(), work.file("link.conf").c_str()), 0);
  auto followed = create("follow", {{{"kind", "write"},
                                     {"path", work.file("link.conf")},
                                     {"content", "new\n"},
                                     {"follow_symlinks", true}}});
  EXPECT_EQ(followed.at("result").as_string(), "READY") << json::serialize(followed);
  EXPECT_EQ(read_file(work.file("real.conf")), "new\n");
  EXPECT_EQ(stat_of(work.file("link.conf")).st_mode & S_IFMT, static_cast<unsigned>(S_IFLNK));
  auto contradiction = create("both", {{{"kind", "write"},
                                        {"path", work.file("x")},
                                        {"content", ""},
                                        {"follow_symlinks", true},
                                        {"no_follow", true}}});
  EXPECT_EQ(field(contradiction), "spec.setup[0].no_follow");
}

TEST_F(AdversarialTasks, WriteOntoAFifoFailsWithoutFreezingTheDaemon) {
  std::string fifo = agent + "/pipe";
  ASSERT_EQ(run_as_nobody([&] { return ::mkfifo(fifo.c_str(), 0666) == 0 ? 0 : 1; }), 0);
  auto r = create("fifo", {{{"kind", "write"}, {"path", fifo}, {"content", "x"}}}, 10000);
  // A reader unblocks a daemon stuck in open(2) on the FIFO, so the test can end either way.
  UniqueFd reader(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK));
  ASSERT_FALSE(r.is_null()) << "tasks.create did not answer: the daemon blocked on the FIFO";
  EXPECT_EQ(r.at("result").as_string(), "FAIL") << json::serialize(r);
  EXPECT_NE(reason(r).find("not a regular file"), std::string::npos) << reason(r);
  EXPECT_TRUE(call("daemon.health", nullptr, 5000).as_object().contains("result"));
}

TEST_F(AdversarialTasks, WriteReplacesTheInodeSoAnOldFdNeverSeesTheNewContent) {
  std::string secret = agent + "/secret.txt";
  ASSERT_EQ(create("v1", {{{"kind", "write"}, {"path", secret}, {"content", "public\n"}}})
                .at("result")
                .as_string(),
            "READY");
  ino_t before = stat_of(secret).st_ino;
  // The agent keeps a descriptor of the world-readable first version open.
  UniqueFd old_fd(::open(secret.c_str(), O_RDONLY));
  ASSERT_TRUE(old_fd);
  auto r = create(
      "v2", {{{"kind", "write"}, {"path", secret}, {"content", "private\n"}, {"mode", "0600"}}});
  EXPECT_EQ(r.at("result").as_string(), "READY") << json::serialize(r);
  char buffer[64] = {};
  ssize_t n = ::pread(old_fd.get(), buffer, sizeof buffer - 1, 0);
  EXPECT_EQ(std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0), "public\n")
      << "the fd opened before the write reads the new secret";
  EXPECT_NE(stat_of(secret).st_ino, before);
  EXPECT_EQ(stat_of(secret).st_mode & 07777, 0600u);
  EXPECT_EQ(read_file(secret), "private\n");
}

TEST_F(AdversarialTasks, SetuidModeSurvivesAnOwner) {
  std::string tool = work.file("tool");
  auto r = create("suid", {{{"kind", "write"},
                            {"path", tool},
                            {"content", "#!/bin/sh\n"},
                            {"mode", "4755"},
                            {"owner", "nobody"}}});
  ASSERT_EQ(r.at("result").as_string(), "READY") << json::serialize(r);
  EXPECT_EQ(stat_of(tool).st_mode & 07777, 04755u);
  EXPECT_EQ(stat_of(tool).st_uid, nobody().uid);
  EXPECT_FALSE(path_exists(work.file(".taskd-write")));  // no temp file left beside it
}

TEST_F(AdversarialTasks, RemoveRefusesTheRootAndMountPointsAndStaysOnOneFileSystem) {
  // Not recursive: on the old code this test must stay harmless.
  auto root = create("root", {{{"kind", "remove"}, {"path", "/"}}});
  EXPECT_EQ(root.at("result").as_string(), "FAIL");
  EXPECT_NE(reason(root).find("root directory"), std::string::npos) << reason(root);
  ASSERT_EQ(::mkdir(work.file("tree").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(work.file("tree/mnt").c_str(), 0755), 0);
  if (::mount("tmpfs", work.file("tree/mnt").c_str(), "tmpfs", 0, "size=64k") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here";
  write_file(work.file("tree/mnt/keep"), "other file system\n");
  ASSERT_EQ(::symlink(work.file("victim-dir").c_str(), work.file("tree/link").c_str()), 0);
  write_file(work.file("victim-dir/inside"), "x");
  auto tree =
      create("tree", {{{"kind", "remove"}, {"path", work.file("tree")}, {"recursive", true}}});
  auto mount_point =
      create("mnt", {{{"kind", "remove"}, {"path", work.file("tree/mnt")}, {"recursive", true}}});
  bool kept = path_exists(work.file("tree/mnt/keep"));
  ::umount2(work.file("tree/mnt").c_str(), MNT_DETACH);
  EXPECT_EQ(tree.at("result").as_string(), "FAIL") << json::serialize(tree);
  EXPECT_NE(reason(tree).find("mount point"), std::string::npos) << reason(tree);
  EXPECT_EQ(mount_point.at("result").as_string(), "FAIL") << json::serialize(mount_point);
  EXPECT_TRUE(kept) << "a recursive remove crossed into another file system";
  EXPECT_TRUE(path_exists(work.file("victim-dir/inside")));
}

TEST_F(AdversarialTasks, OversizedIdsAreRefusedNotWrapped) {
  auto owner = create("owner", {{{"kind", "write"},
                                 {"path", work.file("owned")},
                                 {"content", "x"},
                                 {"owner", "4294968296:4294968296"}}});
  EXPECT_EQ(field(owner), "spec.setup[0].owner") << json::serialize(owner);
  EXPECT_EQ(call("tasks.get", {{"id", "owner"}}).at("error").at("data").at("code").as_string(),
            "NOT_FOUND");  // not a task left PENDING forever
  EXPECT_FALSE(path_exists(work.file("owned")));
  std::string out = work.file("whoami");
  auto run = create(
      "run", {{{"kind", "run"}, {"cmd", {"sh", "-c", "id -u > " + out}}, {"user", "4294967296"}}});
  EXPECT_EQ(field(run), "spec.setup[0].user") << json::serialize(run);
  EXPECT_FALSE(path_exists(out)) << "ran as uid " << read_file(out);
  auto exec = call("exec.run", {{"cmd", {"id", "-u"}}, {"user", "4294967296"}});
  ASSERT_TRUE(exec.as_object().contains("error"))
      << "ran as uid " << exec.at("result").at("stdout");
  EXPECT_EQ(field(exec.at("error")), "user");
}

TEST_F(AdversarialTasks, NulBytesAreRefusedWhereTheyReachASystemCall) {
  auto link = create("nul", {{{"kind", "symlink"},
                              {"path", work.file("l")},
                              {"target", std::string("/etc/passwd\0.safe", 17)}}});
  EXPECT_EQ(field(link), "spec.setup[0].target") << json::serialize(link);
  EXPECT_FALSE(path_exists(work.file("l")));
  auto cwd = call("exec.run", {{"cmd", {"pwd"}}, {"cwd", std::string("/tmp\0/root", 10)}});
  ASSERT_TRUE(cwd.as_object().contains("error")) << json::serialize(cwd);
  EXPECT_EQ(field(cwd.at("error")), "cwd");
  std::string nul("a\0b", 3);
  struct Case {
    json::object process;
    std::string field;
  };
  std::vector<Case> cases = {
      {{{"cmd", {"true", nul}}}, "spec.process.cmd"},
      {{{"cmd", {"true"}}, {"cwd", nul}}, "spec.process.cwd"},
      {{{"cmd", {"true"}}, {"user", nul}}, "spec.process.user"},
      {{{"cmd", {"true"}}, {"env", {{"K", nul}}}}, "spec.process.env"},
  };
  for (const auto& c : cases) {
    auto reply = call("tasks.create", {{"id", "p"}, {"spec", {{"process", c.process}}}});
    ASSERT_TRUE(reply.as_object().contains("error")) << json::serialize(reply);
    EXPECT_EQ(field(reply.at("error")), c.field);
  }
  auto owner = create("o", {{{"kind", "chown"}, {"path", work.file("x")}, {"owner", nul}}});
  EXPECT_EQ(field(owner), "spec.setup[0].owner");
}

TEST_F(AdversarialTasks, SyncWithOneInvalidEntryChangesNothing) {
  create("a", {});
  auto b =
      call("tasks.create", {{"id", "b"}, {"spec", {{"process", {{"cmd", {"sleep", "100"}}}}}}});
  auto pid = b.at("result").at("task").at("status").at("state").at("running").at("pid").as_int64();
  auto bad_id = call(
      "tasks.sync",
      {{"tasks",
        {{{"id", "c"}, {"spec", json::object{}}}, {{"id", "../bad"}, {"spec", json::object{}}}}}});
  ASSERT_TRUE(bad_id.as_object().contains("error")) << json::serialize(bad_id);
  EXPECT_EQ(field(bad_id.at("error")), "tasks[1].id");
  json::object bad_step{{"kind", "write"}, {"path", "relative"}, {"content", "x"}};
  auto bad_path = call("tasks.sync", {{"tasks",
                                       {{{"id", "a"}, {"spec", json::object{}}},
                                        {{"id", "d"}, {"spec", {{"setup", {bad_step}}}}}}}});
  ASSERT_TRUE(bad_path.as_object().contains("error")) << json::serialize(bad_path);
  EXPECT_EQ(field(bad_path.at("error")), "tasks[1].spec.setup[0].path");
  auto list = call("tasks.list", nullptr).at("result").at("tasks").as_array();
  ASSERT_EQ(list.size(), 2u) << json::serialize(list);
  EXPECT_EQ(list[0].at("id").as_string(), "a");
  EXPECT_EQ(list[1].at("id").as_string(), "b");
  EXPECT_TRUE(process_alive(static_cast<pid_t>(pid)));
}

}  // namespace
}  // namespace taskd::test
