// The data directory: created 0700, existing modes left alone, unsafe ones refused, and locked
// against a second daemon (issue 10, #12).
#include "daemon/data_dir.h"
#include "tests/support/process.h"
#include "tests/support/unprivileged.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

namespace taskd {
namespace {

mode_t mode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

TEST(DataDir, MissingDirectoryIsCreatedPrivate) {
  test::TempDir dir;
  std::string path = dir.file("a/b/data");
  mode_t previous = ::umask(0);
  auto lock = claim_data_dir(path);
  ::umask(previous);
  ASSERT_TRUE(lock) << lock.error().message;
  EXPECT_EQ(mode_of(path), 0700u);
  EXPECT_TRUE(test::path_exists(path + "/.lock"));
}

TEST(DataDir, AnExistingDirectoryKeepsItsMode) {
  test::TempDir dir;
  std::string path = dir.file("data");
  ASSERT_EQ(::mkdir(path.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(path.c_str(), 0755), 0);
  ASSERT_TRUE(claim_data_dir(path));
  EXPECT_EQ(mode_of(path), 0755u);  // not taskd's to chmod
}

TEST(DataDir, AWorldWritableDirectoryIsRefusedAndLeftAlone) {
  test::TempDir dir;
  std::string path = dir.file("shared");
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(path.c_str(), 01777), 0);
  auto lock = claim_data_dir(path);
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().code, ErrorCode::kInvalidConfig);
  EXPECT_NE(lock.error().message.find("writable by group or others (mode 1777)"), std::string::npos)
      << lock.error().message;
  EXPECT_EQ(mode_of(path), 01777u);
  EXPECT_FALSE(test::path_exists(path + "/.lock"));
}

TEST(DataDir, ADirectoryOwnedByAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  test::TempDir dir;
  std::string path = dir.file("theirs");
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
  ASSERT_EQ(::chown(path.c_str(), test::nobody().uid, test::nobody().gid), 0);
  auto lock = claim_data_dir(path);
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().code, ErrorCode::kInvalidConfig);
  EXPECT_NE(lock.error().message.find("owned by uid " + std::to_string(test::nobody().uid)),
            std::string::npos)
      << lock.error().message;
}

TEST(DataDir, ASymlinkPlantedByAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  test::TempDir dir;
  ASSERT_EQ(::mkdir(dir.file("real").c_str(), 0700), 0);
  ASSERT_EQ(::symlink(dir.file("real").c_str(), dir.file("link").c_str()), 0);
  ASSERT_EQ(::lchown(dir.file("link").c_str(), test::nobody().uid, test::nobody().gid), 0);
  auto lock = claim_data_dir(dir.file("link"));
  ASSERT_FALSE(lock);
  EXPECT_NE(lock.error().message.find("symlink owned by uid"), std::string::npos);
}

TEST(DataDir, ASecondClaimIsRefusedWhileTheFirstHoldsTheLock) {
  test::TempDir dir;
  std::string path = dir.file("data");
  auto first = claim_data_dir(path);
  ASSERT_TRUE(first);
  auto second = claim_data_dir(path);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(second.error().message.find("another taskd is using data_dir"), std::string::npos);
  first->reset();
  EXPECT_TRUE(claim_data_dir(path));  // released with its fd
}

}  // namespace
}  // namespace taskd
