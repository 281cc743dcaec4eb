// Attacks on the paths taskd owns and on its log, run as the real unprivileged user `nobody`
// against the real daemon (issue 10, findings 10, 12 and the log part of 13).
#include "tests/support/supervision_helpers.h"
#include "tests/support/unprivileged.h"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

namespace taskd::test {
namespace {
namespace json = boost::json;

#define SKIP_UNLESS_ROOT() \
  if (!can_drop_to_nobody()) GTEST_SKIP() << "needs root (to act as nobody)"

mode_t mode_of(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

// A root-only file the attacker would love to append to or truncate.
std::string make_victim(const TempDir& dir) {
  std::string victim = dir.file("victim");
  write_file(victim, "precious\n");
  ::chmod(victim.c_str(), 0600);
  return victim;
}

// nobody plants `link` → `target` in a directory it owns.
void plant_symlink(const std::string& target, const std::string& link) {
  ASSERT_EQ(run_as_nobody([&] { return ::symlink(target.c_str(), link.c_str()) == 0 ? 0 : 1; }), 0);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// #10: what a task command (run as nobody) prints on stderr ends up in the FAIL line of the
// log; it must stay on that line, with its control characters escaped.
TEST(AdversarialFiles, ChildOutputCannotForgeALogLine) {
  SKIP_UNLESS_ROOT();
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  std::string forged = "[2020-01-01 00:00:00.000] [taskd] [critical] forged by the agent";
  std::string script = "printf 'oops\\n" + forged + "\\n\\033[2J\\r' >&2; exit 1";
  json::object step{{"kind", "run"}, {"cmd", {"sh", "-c", script}}, {"user", "nobody"}};
  auto reply = client.call("tasks.create",
                           {{"id", "inject"}, {"spec", {{"setup", json::array{step}}}}}, 30000);
  ASSERT_EQ(reply.at("result").at("result").as_string(), "FAIL") << json::serialize(reply);
  std::string log = daemon.log();
  EXPECT_NE(log.find("oops\\n[2020-01-01"), std::string::npos) << log;
  for (const auto& line : lines_of(log)) {
    EXPECT_FALSE(line.starts_with("[2020-01-01")) << "forged line in the log: " << line;
    EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
  }
}

// #12: a log_file path that nobody replaced with a symlink must not be followed.
TEST(AdversarialFiles, PlantedSymlinkAsTheDaemonLogIsRefused) {
  SKIP_UNLESS_ROOT();
  TempDir root_only;
  std::string victim = make_victim(root_only);
  TempDir shared;
  std::string evil = attacker_dir(shared.path(), "logs");
  plant_symlink(victim, evil + "/taskd.log");
  Daemon daemon({.config = "[daemon]\nlog_file = \"" + evil + "/taskd.log\"\n"});
  EXPECT_FALSE(daemon.start());
  EXPECT_NE(daemon.startup_error().find("symbolic link"), std::string::npos)
      << daemon.startup_error();
  EXPECT_EQ(read_file(victim), "precious\n");
}

// #12: a program's log path planted as a symlink gets neither the output (append) nor the
// truncation of programs.clear.
TEST(AdversarialFiles, PlantedSymlinkAsAProgramLogIsNeitherWrittenNorTruncated) {
  SKIP_UNLESS_ROOT();
  TempDir root_only;
  std::string victim = make_victim(root_only);
  TempDir shared;
  std::string evil = attacker_dir(shared.path(), "logs");
  plant_symlink(victim, evil + "/out.log");
  Daemon daemon({.config = "[programs.talker]\ncmd = [\"sh\", \"-c\", \"echo SECRET; exec sleep "
                           "60\"]\nstarttime = 0\nstdout = \"" +
                           evil + "/out.log\"\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(wait_for_state(client, "talker", "RUNNING"));
  ASSERT_TRUE(wait_until([&] {
    return daemon.log().find("output of talker") != std::string::npos;
  })) << daemon.log();
  auto cleared = client.call("programs.clear", {{"names", {"talker"}}});
  EXPECT_FALSE(cleared.at("result").at("results").at(0).at("ok").as_bool())
      << json::serialize(cleared);
  EXPECT_EQ(read_file(victim), "precious\n");
  EXPECT_EQ(mode_of(victim), 0600u);
}

// #12: an existing data_dir's mode is not taskd's to change; a world-writable one is refused
// (anyone could plant task state or symlinks in it) and left as it was.
TEST(AdversarialFiles, WorldWritableDataDirIsRefusedNotChmodded) {
  TempDir dir;
  std::string data = dir.file("shared");
  ASSERT_EQ(::mkdir(data.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(data.c_str(), 01777), 0);
  Daemon daemon({.config = "[daemon]\ndata_dir = \"" + data + "\"\n"});
  EXPECT_FALSE(daemon.start());
  EXPECT_NE(daemon.startup_error().find("exit 3"), std::string::npos) << daemon.startup_error();
  EXPECT_NE(daemon.startup_error().find("writable by group or others"), std::string::npos)
      << daemon.startup_error();
  EXPECT_EQ(mode_of(data), 01777u);
}

TEST(AdversarialFiles, DataDirOwnedByNobodyIsRefused) {
  SKIP_UNLESS_ROOT();
  TempDir dir;
  std::string data = attacker_dir(dir.path(), "data");
  ::chmod(data.c_str(), 0700);
  Daemon daemon({.config = "[daemon]\ndata_dir = \"" + data + "\"\n"});
  EXPECT_FALSE(daemon.start());
  EXPECT_NE(daemon.startup_error().find("owned by uid " + std::to_string(nobody().uid)),
            std::string::npos)
      << daemon.startup_error();
  EXPECT_FALSE(path_exists(data + "/taskd.log"));
}

// #12: two daemons on one data_dir (different sockets) would delete each other's tasks.
TEST(AdversarialFiles, SecondDaemonOnTheSameDataDirExitsWithAReason) {
  Daemon first;
  ASSERT_TRUE(first.start()) << first.startup_error();
  Daemon second({.config = "[daemon]\ndata_dir = \"" + first.data_dir() + "\"\n"});
  EXPECT_FALSE(second.start());
  EXPECT_NE(second.startup_error().find("exit 4"), std::string::npos) << second.startup_error();
  EXPECT_NE(second.startup_error().find("another taskd is using data_dir"), std::string::npos)
      << second.startup_error();
  RpcTestClient client(first.socket_path());
  EXPECT_TRUE(client.call("daemon.health").at("result").at("ok").as_bool());
}

// #12: a socket lock file or socket that another user owns (think /tmp/taskd-UID.sock) is never
// used: nobody could hold the lock forever, or be the one answering.
TEST(AdversarialFiles, SocketPathOwnedByAnotherUserIsRefused) {
  SKIP_UNLESS_ROOT();
  TempDir dir;
  std::string evil = attacker_dir(dir.path(), "run");
  std::string socket = evil + "/taskd.sock";
  ASSERT_EQ(run_as_nobody([&] {
              int fd = ::open((socket + ".lock").c_str(), O_RDWR | O_CREAT, 0666);
              return fd >= 0 ? 0 : 1;
            }),
            0);
  Daemon daemon({.config = "[daemon]\nsocket = \"" + socket + "\"\n"});
  EXPECT_FALSE(daemon.start());
  EXPECT_NE(daemon.startup_error().find("owned by uid " + std::to_string(nobody().uid)),
            std::string::npos)
      << daemon.startup_error();
}

// #12: the daemon's own files do not depend on the umask it was started with, and its children
// get that umask back.
TEST(AdversarialFiles, OwnFilesIgnoreAPermissiveUmaskChildrenKeepIt) {
  TempDir out;
  mode_t previous = ::umask(0);
  Daemon daemon({.config = "[programs.u]\ncmd = [\"sh\", \"-c\", \"umask > " + out.file("umask") +
                           "; exec sleep 60\"]\nstarttime = 0\n"});
  bool started = daemon.start();
  ::umask(previous);
  ASSERT_TRUE(started) << daemon.startup_error();
  ASSERT_TRUE(wait_until([&] { return read_file(out.file("umask")).size() > 1; }));
  EXPECT_EQ(read_file(out.file("umask")), "0000\n");
  EXPECT_EQ(mode_of(daemon.data_dir()), 0700u);
  EXPECT_EQ(mode_of(daemon.data_dir() + "/taskd.log"), 0640u);
  EXPECT_EQ(mode_of(daemon.data_dir() + "/logs/u.stdout.log"), 0640u);
  EXPECT_EQ(mode_of(daemon.socket_path()), 0600u);
}

// #12: the socket gets its mode from the umask at bind time; a chmod by path afterwards would
// follow a symlink swapped in after the bind. Checked with strace: no chmod of the socket path.
TEST(AdversarialFiles, SocketIsCreatedWithItsModeNeverChmodded) {
  if (::access("/usr/bin/strace", X_OK) != 0) GTEST_SKIP() << "needs strace";
  TempDir dir;
  std::string socket = dir.file("t.sock");
  std::string trace = dir.file("trace");
  write_file(dir.file("taskd.toml"), "[daemon]\nsocket = \"" + socket + "\"\ndata_dir = \"" +
                                         dir.file("data") + "\"\nsocket_mode = \"0660\"\n");
  pid_t strace = ::fork();
  if (strace == 0) {
    exec_in_child({"/usr/bin/strace", "-f", "-qq", "-o", trace, "-e",
                   "trace=chmod,fchmodat,lchown,chown,fchownat", taskd_binary(), "-c",
                   dir.file("taskd.toml"), "--foreground"},
                  {});
  }
  ASSERT_TRUE(
      wait_until([&] { return RpcTestClient(socket).connected(); }, std::chrono::seconds(30)));
  RpcTestClient client(socket);
  auto pid = client.call("daemon.health").at("result").at("pid").as_int64();
  EXPECT_EQ(mode_of(socket), 0660u);
  ::kill(static_cast<pid_t>(pid), SIGTERM);
  int status = 0;
  ::waitpid(strace, &status, 0);
  EXPECT_EQ(read_file(trace).find(socket), std::string::npos) << read_file(trace);
}

// #13: taskd.log rotates at [daemon] log_maxbytes, keeping log_backups copies.
TEST(AdversarialFiles, DaemonLogRotates) {
  Daemon daemon({.config = "[daemon]\nlog_level = \"debug\"\nlog_maxbytes = 4096\n"
                           "log_backups = 2\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  for (int i = 0; i < 300; ++i) client.call("daemon.health");  // a debug line each
  std::string log = daemon.data_dir() + "/taskd.log";
  EXPECT_TRUE(path_exists(log + ".1"));
  EXPECT_TRUE(path_exists(log + ".2"));
  EXPECT_FALSE(path_exists(log + ".3"));
  for (std::string path : {log, log + ".1", log + ".2"}) EXPECT_LE(file_size(path), 4096u) << path;
  EXPECT_EQ(mode_of(log + ".1"), 0640u);
}

// #13: a flood of similar lines (here: tasks failing, as a crash loop would) is cut to a burst
// and one "N similar lines suppressed" summary.
TEST(AdversarialFiles, FloodOfSimilarLinesIsSummarised) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  json::object step{{"kind", "chmod"}, {"path", "/nonexistent/x"}, {"mode", "0600"}};
  for (int i = 0; i < 60; ++i) {
    client.call("tasks.create",
                {{"id", "t" + std::to_string(i)}, {"spec", {{"setup", json::array{step}}}}});
  }
  EXPECT_EQ(daemon.stop(), 0);
  std::string log = daemon.log();
  // 20 lines a 10 s window pass: 20 lines and "40 similar lines suppressed" unless the machine
  // is so slow that the creates spanned two windows.
  int passed = 0;
  int suppressed = 0;
  for (const auto& line : lines_of(log)) {
    auto summary = line.find(" similar lines suppressed in the last 10s: task t");
    if (summary != std::string::npos) {
      suppressed += std::stoi(line.substr(line.rfind(' ', summary - 1) + 1));
    } else if (line.find(" FAIL: step") != std::string::npos) {
      ++passed;
    }
  }
  EXPECT_EQ(passed + suppressed, 60) << log;
  EXPECT_LE(passed, 40) << log;
  EXPECT_NE(log.find("similar lines suppressed in the last 10s: task t20 FAIL: step 0"),
            std::string::npos)
      << log;
}

}  // namespace
}  // namespace taskd::test
