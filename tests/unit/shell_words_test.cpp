#include "common/shell_words.h"

#include <gtest/gtest.h>

namespace taskd {
namespace {

using Words = std::vector<std::string>;

TEST(ShellWords, SplitsLikeAShell) {
  EXPECT_EQ(*split_shell_words("  /bin/echo  a   b "), (Words{"/bin/echo", "a", "b"}));
  EXPECT_EQ(*split_shell_words(R"(sh -c 'echo "$HOME" | wc')"),
            (Words{"sh", "-c", "echo \"$HOME\" | wc"}));
  EXPECT_EQ(*split_shell_words(R"(a "b c" d\ e "x\"y" 'it'\''s')"),
            (Words{"a", "b c", "d e", "x\"y", "it's"}));
  EXPECT_EQ(*split_shell_words(R"("a\nb" \$X)"), (Words{"a\\nb", "$X"}));
  EXPECT_EQ(*split_shell_words(R"(a "" '')"), (Words{"a", "", ""}));
  EXPECT_EQ(*split_shell_words("pre\"mid\"post"), (Words{"premidpost"}));
  EXPECT_TRUE(split_shell_words("   ")->empty());
}

TEST(ShellWords, RejectsUnterminated) {
  EXPECT_FALSE(split_shell_words("echo 'a"));
  EXPECT_FALSE(split_shell_words("echo \"a"));
  EXPECT_FALSE(split_shell_words("echo a\\"));
}

}  // namespace
}  // namespace taskd
