// Task setup file steps on a real file system: what each step leaves behind (content, mode,
// owner), and the symlink rule (no symlink in a step's path is followed unless the step opts in),
// since the agent may have planted links under directories it can write.
#include "daemon/tasks/file_steps.h"

#include "tests/support/process.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace taskd::tasks {
namespace {

using test::TempDir;
using Kind = SetupStep::Kind;

SetupStep step(Kind kind, std::string path) {
  SetupStep s;
  s.kind = kind;
  s.path = std::move(path);
  return s;
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

void expect_refused_symlink(const Result<void>& result) {
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(result.error().message.find("refusing to follow the symlink"), std::string::npos)
      << result.error().message;
}

TEST(FileSteps, WriteCreatesParentsWithContentAndMode) {
  TempDir dir;
  SetupStep write = step(Kind::kWrite, dir.file("a/b/c.txt"));
  write.content = "hello\n";
  write.mode = 0640;
  ASSERT_TRUE(apply_file_step(write));
  EXPECT_EQ(test::read_file(dir.file("a/b/c.txt")), "hello\n");
  EXPECT_EQ(stat_of(dir.file("a/b/c.txt")).st_mode & 07777, 0640u);
}

TEST(FileSteps, WriteReplacesTheFileWithANewInodeAndDefaultsTo0644) {
  TempDir dir;
  test::write_file(dir.file("f"), "old");
  ino_t before = stat_of(dir.file("f")).st_ino;
  SetupStep write = step(Kind::kWrite, dir.file("f"));
  write.content = "new";
  ASSERT_TRUE(apply_file_step(write));
  EXPECT_EQ(test::read_file(dir.file("f")), "new");
  EXPECT_NE(stat_of(dir.file("f")).st_ino, before);
  EXPECT_EQ(stat_of(dir.file("f")).st_mode & 07777, 0644u);
}

TEST(FileSteps, WriteWithoutParentsFailsNamingThePath) {
  TempDir dir;
  SetupStep write = step(Kind::kWrite, dir.file("missing/f"));
  write.parents = false;
  auto result = apply_file_step(write);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find(dir.file("missing")), std::string::npos)
      << result.error().message;
  EXPECT_FALSE(test::path_exists(dir.file("missing")));
}

TEST(FileSteps, WriteRefusesToReplaceADirectory) {
  TempDir dir;
  ASSERT_EQ(::mkdir(dir.file("d").c_str(), 0755), 0);
  auto result = apply_file_step(step(Kind::kWrite, dir.file("d")));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("not a regular file"), std::string::npos);
}

TEST(FileSteps, WriteThroughAPlantedSymlinkIsRefusedAndTheTargetUntouched) {
  TempDir dir;
  test::write_file(dir.file("secret"), "keep");
  ASSERT_EQ(::symlink(dir.file("secret").c_str(), dir.file("link").c_str()), 0);
  SetupStep write = step(Kind::kWrite, dir.file("link"));
  write.content = "owned";
  expect_refused_symlink(apply_file_step(write));
  EXPECT_EQ(test::read_file(dir.file("secret")), "keep");
}

TEST(FileSteps, ASymlinkedParentDirectoryIsRefusedUnlessOptedIn) {
  TempDir dir;
  ASSERT_EQ(::mkdir(dir.file("real").c_str(), 0755), 0);
  ASSERT_EQ(::symlink(dir.file("real").c_str(), dir.file("via").c_str()), 0);
  SetupStep write = step(Kind::kWrite, dir.file("via/f"));
  write.content = "x";
  expect_refused_symlink(apply_file_step(write));
  EXPECT_FALSE(test::path_exists(dir.file("real/f")));
  write.follow_symlinks = true;
  ASSERT_TRUE(apply_file_step(write));
  EXPECT_EQ(test::read_file(dir.file("real/f")), "x");
}

TEST(FileSteps, MkdirIsIdempotentAndSetsTheMode) {
  TempDir dir;
  SetupStep mkdir = step(Kind::kMkdir, dir.file("x/y"));
  mkdir.mode = 0700;
  ASSERT_TRUE(apply_file_step(mkdir));
  ASSERT_TRUE(apply_file_step(mkdir));
  EXPECT_TRUE(S_ISDIR(stat_of(dir.file("x/y")).st_mode));
  EXPECT_EQ(stat_of(dir.file("x/y")).st_mode & 07777, 0700u);
}

TEST(FileSteps, MkdirOverAFileFails) {
  TempDir dir;
  test::write_file(dir.file("f"), "");
  EXPECT_FALSE(apply_file_step(step(Kind::kMkdir, dir.file("f"))));
}

TEST(FileSteps, ChmodAndChown) {
  TempDir dir;
  test::write_file(dir.file("f"), "");
  SetupStep chmod = step(Kind::kChmod, dir.file("f"));
  chmod.mode = 0600;
  ASSERT_TRUE(apply_file_step(chmod));
  EXPECT_EQ(stat_of(dir.file("f")).st_mode & 07777, 0600u);
  if (::geteuid() != 0) GTEST_SKIP() << "chown needs root";
  SetupStep chown = step(Kind::kChown, dir.file("f"));
  chown.owner = "nobody";
  ASSERT_TRUE(apply_file_step(chown));
  EXPECT_NE(stat_of(dir.file("f")).st_uid, 0u);
  chown.owner = "4294967296";  // would wrap to uid 0 if parsed loosely
  EXPECT_FALSE(apply_file_step(chown));
  chown.owner = "no-such-user-here";
  EXPECT_FALSE(apply_file_step(chown));
}

TEST(FileSteps, ChmodOfAPlantedSymlinkIsRefused) {
  TempDir dir;
  test::write_file(dir.file("target"), "");
  ASSERT_EQ(::chmod(dir.file("target").c_str(), 0600), 0);
  ASSERT_EQ(::symlink(dir.file("target").c_str(), dir.file("link").c_str()), 0);
  SetupStep chmod = step(Kind::kChmod, dir.file("link"));
  chmod.mode = 04777;
  expect_refused_symlink(apply_file_step(chmod));
  EXPECT_EQ(stat_of(dir.file("target")).st_mode & 07777, 0600u);
}

TEST(FileSteps, SymlinkIsCreatedAndNeverFollowed) {
  TempDir dir;
  SetupStep link = step(Kind::kSymlink, dir.file("l"));
  link.target = "/etc/hostname";
  ASSERT_TRUE(apply_file_step(link));
  char buf[64] = {};
  ASSERT_GT(::readlink(dir.file("l").c_str(), buf, sizeof buf - 1), 0);
  EXPECT_STREQ(buf, "/etc/hostname");
  EXPECT_FALSE(apply_file_step(link)) << "an existing link is not replaced";
}

TEST(FileSteps, RemoveIsIdempotentAndRecursiveOnlyWhenAsked) {
  TempDir dir;
  test::write_file(dir.file("f"), "");
  ASSERT_TRUE(apply_file_step(step(Kind::kRemove, dir.file("f"))));
  EXPECT_FALSE(test::path_exists(dir.file("f")));
  EXPECT_TRUE(apply_file_step(step(Kind::kRemove, dir.file("f")))) << "missing is fine";
  ASSERT_EQ(::mkdir(dir.file("t").c_str(), 0755), 0);
  test::write_file(dir.file("t/inner"), "");
  EXPECT_FALSE(apply_file_step(step(Kind::kRemove, dir.file("t"))));
  EXPECT_TRUE(test::path_exists(dir.file("t/inner")));
  SetupStep recursive = step(Kind::kRemove, dir.file("t"));
  recursive.recursive = true;
  ASSERT_TRUE(apply_file_step(recursive));
  EXPECT_FALSE(test::path_exists(dir.file("t")));
}

TEST(FileSteps, RecursiveRemoveDoesNotFollowALinkOutOfTheTree) {
  TempDir dir;
  ASSERT_EQ(::mkdir(dir.file("outside").c_str(), 0755), 0);
  test::write_file(dir.file("outside/keep"), "keep");
  ASSERT_EQ(::mkdir(dir.file("t").c_str(), 0755), 0);
  ASSERT_EQ(::symlink(dir.file("outside").c_str(), dir.file("t/escape").c_str()), 0);
  SetupStep remove = step(Kind::kRemove, dir.file("t"));
  remove.recursive = true;
  ASSERT_TRUE(apply_file_step(remove));
  EXPECT_FALSE(test::path_exists(dir.file("t")));
  EXPECT_EQ(test::read_file(dir.file("outside/keep")), "keep");
}

TEST(FileSteps, RunStepsAreNotFileSteps) { EXPECT_FALSE(apply_file_step(step(Kind::kRun, "/"))); }

}  // namespace
}  // namespace taskd::tasks
