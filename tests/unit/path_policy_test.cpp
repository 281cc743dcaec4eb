// check_setup_path: the forms of a setup path that usually mean an injection or a mistake are
// refused before any file-system call; everything else absolute is allowed (setup is privileged).
#include "daemon/tasks/path_policy.h"

#include "common/ids.h"

#include <gtest/gtest.h>

#include <string>

namespace taskd::tasks {
namespace {

using namespace std::string_literals;

void expect_refused(std::string_view path, std::string_view why) {
  auto result = check_setup_path(path);
  ASSERT_FALSE(result) << path;
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidParams);
  EXPECT_NE(result.error().message.find(why), std::string::npos) << result.error().message;
}

TEST(PathPolicy, AbsolutePathsAreAllowed) {
  for (std::string_view path : {"/", "/etc/passwd", "/srv/task/a b/c", "/a/./b", "/a//b",
                                "/a/..b/c..", "/a/.../b", "/a/b/", "/tmp/..hidden"}) {
    EXPECT_TRUE(check_setup_path(path)) << path;
  }
}

TEST(PathPolicy, RelativeAndEmptyPathsAreRefused) {
  expect_refused("", "must be absolute");
  expect_refused("etc/passwd", "must be absolute");
  expect_refused("./x", "must be absolute");
  expect_refused("~/x", "must be absolute");
}

TEST(PathPolicy, DotDotComponentsAreRefusedWhereverTheyAre) {
  expect_refused("/..", "'..'");
  expect_refused("/a/..", "'..'");
  expect_refused("/a/../etc/shadow", "'..'");
  expect_refused("/a/b/../", "'..'");
  expect_refused("/../../root", "'..'");
}

TEST(PathPolicy, NulBytesAreRefused) {
  expect_refused("/etc/passwd\0.txt"s, "NUL");
  expect_refused("\0/x"s, "NUL");
}

TEST(PathPolicy, TheErrorNamesThePath) {
  auto result = check_setup_path("relative/path");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("relative/path"), std::string::npos);
}

TEST(TaskIds, ValidIdsNameOneDirectoryAndNothingElse) {
  for (std::string_view id : {"a", "task-1", "T.2_x", "0", "a..b", "x-"}) {
    EXPECT_TRUE(is_valid_task_id(id)) << id;
  }
  std::string longest(64, 'a');
  EXPECT_TRUE(is_valid_task_id(longest));
  EXPECT_FALSE(is_valid_task_id(longest + "a"));
  for (std::string_view id :
       {"", ".", "..", ".hidden", "-x", "_x", "a/b", "a b", "a\\b", "é", "a\n", "a:b"}) {
    EXPECT_FALSE(is_valid_task_id(id)) << id;
  }
  EXPECT_FALSE(is_valid_task_id("a\0b"s));
}

}  // namespace
}  // namespace taskd::tasks
