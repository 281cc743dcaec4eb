// The daemon log's sinks: every line escaped, floods limited, the file never opened through a
// symlink, rotated by size (issue 10, #10, #12, #13).
#include "common/log_sinks.h"
#include "common/log.h"
#include "tests/support/process.h"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

namespace taskd {
namespace {

struct Captured {
  std::ostringstream out;
  std::shared_ptr<GuardSink> guard;
  std::shared_ptr<spdlog::logger> logger;

  explicit Captured(LogRateLimits limits = {}) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    guard = std::make_shared<GuardSink>(std::vector<spdlog::sink_ptr>{sink}, limits);
    logger = std::make_shared<spdlog::logger>("sup", guard);
    logger->set_pattern("[%n] [%l] %v");
    logger->set_level(spdlog::level::trace);
  }
};

int count(const std::string& text, const std::string& part) {
  int n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(GuardSink, ForeignTextCannotForgeALine) {
  Captured log;
  log.logger->info("task t FAIL: {}", "x\n[sup] [critical] forged\x1b[2J");
  EXPECT_EQ(log.out.str(), "[sup] [info] task t FAIL: x\\n[sup] [critical] forged\\x1b[2J\n");
}

TEST(GuardSink, FloodsAreLimitedAtInfoAndAboveOnly) {
  Captured log(LogRateLimits{2, std::chrono::milliseconds(60000), 16});
  for (int i = 0; i < 10; ++i) log.logger->warn("refused peer cid={}", i);
  for (int i = 0; i < 10; ++i) log.logger->debug("call method=x id={}", i);
  std::string text = log.out.str();
  EXPECT_EQ(count(text, "refused peer"), 2);
  EXPECT_EQ(count(text, "call method=x"), 10);  // debug: the operator asked for every line
  log.guard.reset();
  log.logger.reset();  // the sink goes away: pending counts are written
  EXPECT_NE(log.out.str().find("[sup] [warning] 8 similar lines suppressed in the last 60s: "
                               "refused peer cid=2"),
            std::string::npos)
      << log.out.str();
}

TEST(RotatingLogSink, RotatesBySizeKeepingBackups) {
  test::TempDir dir;
  std::string path = dir.file("taskd.log");
  auto sink = RotatingLogSink::open(path, 100, 2);
  ASSERT_TRUE(sink) << sink.error().message;
  spdlog::logger logger("t", *sink);
  logger.set_pattern("%v");
  for (int i = 0; i < 12; ++i) logger.info("line {:02} {}", i, std::string(20, 'x'));  // 30 bytes
  EXPECT_EQ(test::read_file(path).substr(0, 7), "line 09");
  EXPECT_EQ(test::read_file(path + ".1").substr(0, 7), "line 06");
  EXPECT_EQ(test::read_file(path + ".2").substr(0, 7), "line 03");
  EXPECT_FALSE(test::path_exists(path + ".3"));
  EXPECT_LE(test::file_size(path), 100u);
}

TEST(RotatingLogSink, NoBackupsTruncates) {
  test::TempDir dir;
  std::string path = dir.file("taskd.log");
  auto sink = RotatingLogSink::open(path, 50, 0);
  ASSERT_TRUE(sink);
  spdlog::logger logger("t", *sink);
  logger.set_pattern("%v");
  for (int i = 0; i < 6; ++i) logger.info("{:019}", i);  // 20 bytes a line
  EXPECT_EQ(test::read_file(path), "0000000000000000004\n0000000000000000005\n");
  EXPECT_FALSE(test::path_exists(path + ".1"));
}

TEST(RotatingLogSink, NewFileIsCreated0640) {
  test::TempDir dir;
  mode_t previous = ::umask(0);
  auto sink = RotatingLogSink::open(dir.file("taskd.log"), 0, 0);
  ::umask(previous);
  ASSERT_TRUE(sink);
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("taskd.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST(SetupLogging, RefusesALogFileThatIsASymlink) {
  test::TempDir dir;
  test::write_file(dir.file("victim"), "precious\n");
  ASSERT_EQ(::symlink(dir.file("victim").c_str(), dir.file("taskd.log").c_str()), 0);
  auto set = setup_logging({dir.file("taskd.log"), "info", false});
  ASSERT_FALSE(set);
  EXPECT_NE(set.error().message.find("symbolic link"), std::string::npos) << set.error().message;
  EXPECT_EQ(test::read_file(dir.file("victim")), "precious\n");
  ASSERT_TRUE(setup_logging({"", "info", true}));  // back to stderr for the other tests
}

}  // namespace
}  // namespace taskd
