// Strict uid/gid parsing: nothing that wraps, signs, spaces or the "no change" id (issue 10 #4).
#include "common/ids.h"

#include <gtest/gtest.h>

namespace taskd {
namespace {

TEST(NumericId, AcceptsDecimalIdsBelowTheNoChangeValue) {
  EXPECT_EQ(parse_numeric_id("0"), 0u);
  EXPECT_EQ(parse_numeric_id("1000"), 1000u);
  EXPECT_EQ(parse_numeric_id("007"), 7u);
  EXPECT_EQ(parse_numeric_id("4294967294"), 4294967294u);
}

TEST(NumericId, RefusesWhatWouldWrapOrMeanNoChange) {
  for (const char* text :
       {"4294967295", "4294967296", "4294968296", "18446744073709551616", "99999999999999999999999",
        "-1", "+5", " 5", "5 ", "", "0x10", "1e3", "12a"}) {
    EXPECT_FALSE(parse_numeric_id(text)) << text;
  }
  EXPECT_FALSE(parse_numeric_id(std::string_view("5\0", 2)));
}

TEST(NumericId, OutOfRangeMeansDigitsThatAreNotAnId) {
  EXPECT_TRUE(is_out_of_range_id("4294967296"));
  EXPECT_TRUE(is_out_of_range_id("4294967295"));
  EXPECT_FALSE(is_out_of_range_id("1000"));
  EXPECT_FALSE(is_out_of_range_id("nobody"));
  EXPECT_FALSE(is_out_of_range_id(""));
}

TEST(FindAccount, NamesFirstThenStrictNumbersThatExist) {
  auto root = find_account("root");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->uid, 0u);
  EXPECT_TRUE(root->found_by_name);
  auto zero = find_account("0");
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->name, root->name);
  EXPECT_FALSE(zero->found_by_name);
  EXPECT_FALSE(find_account("4294967296"));  // wraps to 0 if parsed loosely: must not be root
  EXPECT_FALSE(find_account("123456"));      // a number is an account only if it has an entry
  EXPECT_FALSE(find_account(""));
  EXPECT_FALSE(find_account(std::string_view("root\0x", 6)));
}

TEST(ResolveIds, NamesFirstThenStrictNumbers) {
  auto root = resolve_user_id("root");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->uid, 0u);
  EXPECT_EQ(root->primary_gid, 0u);
  auto numeric = resolve_user_id("123456");
  ASSERT_TRUE(numeric);
  EXPECT_EQ(numeric->uid, 123456u);
  EXPECT_FALSE(numeric->primary_gid);
  EXPECT_FALSE(resolve_user_id("4294967296"));  // not root
  EXPECT_FALSE(resolve_user_id("no-such-user-xyz"));
  EXPECT_FALSE(resolve_user_id(std::string_view("root\0x", 6)));
  ASSERT_TRUE(resolve_group_id("0"));
  EXPECT_EQ(*resolve_group_id("0"), 0u);
  EXPECT_FALSE(resolve_group_id("4294968296"));
}

}  // namespace
}  // namespace taskd
