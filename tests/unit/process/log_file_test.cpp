#include "daemon/process/log_file.h"
#include "daemon/supervisor/log_reader.h"
#include "tests/support/process.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

namespace taskd::process {
namespace {
using supervisor::read_log_slice;

TEST(LogFile, RotatesBySizeKeepingBackups) {
  test::TempDir dir;
  std::string path = dir.file("out.log");
  auto log = LogFile::open(path, 10, 2);
  ASSERT_TRUE(log);
  ASSERT_TRUE((*log)->write("0123456789abcdefghij"));  // exactly two files' worth
  ASSERT_TRUE((*log)->write("XYZ"));
  EXPECT_EQ(test::read_file(path), "XYZ");
  EXPECT_EQ(test::read_file(path + ".1"), "abcdefghij");
  EXPECT_EQ(test::read_file(path + ".2"), "0123456789");
  ASSERT_TRUE((*log)->write("0123456"));  // fills the file to exactly 10 bytes
  ASSERT_TRUE((*log)->write("!"));
  EXPECT_EQ(test::read_file(path), "!");
  EXPECT_EQ(test::read_file(path + ".1"), "XYZ0123456");
  EXPECT_EQ(test::read_file(path + ".2"), "abcdefghij");
  EXPECT_FALSE(test::path_exists(path + ".3"));  // only two backups are kept
}

TEST(LogFile, NoBackupsMeansTruncate) {
  test::TempDir dir;
  std::string path = dir.file("out.log");
  auto log = LogFile::open(path, 4, 0);
  ASSERT_TRUE((*log)->write("abcdef"));
  EXPECT_EQ(test::read_file(path), "ef");
  EXPECT_FALSE(test::path_exists(path + ".1"));
}

TEST(LogFile, ZeroMaxBytesNeverRotates) {
  test::TempDir dir;
  auto log = LogFile::open(dir.file("out.log"), 0, 5);
  ASSERT_TRUE((*log)->write(std::string(100000, 'x')));
  EXPECT_EQ((*log)->size(), 100000u);
}

TEST(LogFile, RegistrySharesOneFilePerPath) {
  test::TempDir dir;
  LogFileRegistry registry;
  auto a = registry.get(dir.file("x.log"), 0, 1);
  auto b = registry.get(dir.file("x.log"), 0, 1);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->get(), b->get());
}

TEST(LogFile, UnwritableDirectoryIsAnError) {
  auto log = LogFile::open("/proc/none/out.log", 0, 1);
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, ErrorCode::kIo);
}

// A planted symlink must not turn program output into an append to (or `clear` into a
// truncation of) the file it points at (issue 10, #12).
TEST(LogFile, NeverOpensThroughASymlink) {
  test::TempDir dir;
  test::write_file(dir.file("victim"), "precious\n");
  ASSERT_EQ(::symlink(dir.file("victim").c_str(), dir.file("out.log").c_str()), 0);
  auto log = LogFile::open(dir.file("out.log"), 0, 1);
  ASSERT_FALSE(log);
  EXPECT_NE(log.error().message.find("symbolic link"), std::string::npos) << log.error().message;
  EXPECT_EQ(test::read_file(dir.file("victim")), "precious\n");
}

TEST(LogFile, ClearNeverTruncatesThroughASymlink) {
  test::TempDir dir;
  auto log = LogFile::open(dir.file("out.log"), 4, 0);
  ASSERT_TRUE(log);
  ASSERT_TRUE((*log)->write("abc"));
  test::write_file(dir.file("victim"), "precious\n");
  ASSERT_EQ(::unlink(dir.file("out.log").c_str()), 0);
  ASSERT_EQ(::symlink(dir.file("victim").c_str(), dir.file("out.log").c_str()), 0);
  (void)(*log)->write("defgh");  // rotation (backups 0) truncates by path: must not follow
  EXPECT_EQ(test::read_file(dir.file("victim")), "precious\n");
}

TEST(LogFile, RefusesAFifoWithoutBlocking) {
  test::TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("out.log").c_str(), 0644), 0);
  auto log = LogFile::open(dir.file("out.log"), 0, 1);  // would block forever in open(2)
  ASSERT_FALSE(log);
}

TEST(LogFile, RefusesAHardLinkToAnotherFile) {
  test::TempDir dir;
  test::write_file(dir.file("victim"), "precious\n");
  ASSERT_EQ(::link(dir.file("victim").c_str(), dir.file("out.log").c_str()), 0);
  auto log = LogFile::open(dir.file("out.log"), 0, 1);
  ASSERT_FALSE(log);
  EXPECT_NE(log.error().message.find("hard links"), std::string::npos);
}

TEST(LogFile, NewFileIsCreated0640) {
  test::TempDir dir;
  mode_t previous = ::umask(0);
  auto log = LogFile::open(dir.file("out.log"), 0, 1);
  ::umask(previous);
  ASSERT_TRUE(log);
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("out.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST(LogReader, SlicesFromTheEndAndFromAnOffset) {
  test::TempDir dir;
  test::write_file(dir.file("l"), "hello world\n");
  auto tail = read_log_slice(dir.file("l"), std::nullopt, 6);
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->data, "world\n");
  EXPECT_EQ(tail->offset, 6);
  EXPECT_EQ(tail->next_offset, 12);
  auto from = read_log_slice(dir.file("l"), 0, 5);
  EXPECT_EQ(from->data, "hello");
  auto past = read_log_slice(dir.file("l"), 100, 5);
  EXPECT_TRUE(past->reset);
  EXPECT_EQ(past->data, "hello");
  auto missing = read_log_slice(dir.file("none"), 0, 5);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->size, 0);
}

TEST(LogReader, NeverSplitsACharacterAndFlagsBinary) {
  test::TempDir dir;
  test::write_file(dir.file("u"), "ab\xc3\xa9");  // "abé"
  auto cut = read_log_slice(dir.file("u"), 0, 3);
  EXPECT_TRUE(cut->is_text);
  EXPECT_EQ(cut->data, "ab");
  EXPECT_EQ(cut->next_offset, 2);
  test::write_file(dir.file("b"), std::string("\xff\xfe\x00\x01", 4));
  auto binary = read_log_slice(dir.file("b"), 0, 10);
  EXPECT_FALSE(binary->is_text);
  EXPECT_EQ(binary->data.size(), 4u);
}

}  // namespace
}  // namespace taskd::process
