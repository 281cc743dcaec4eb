#include "common/text_encoding.h"

#include <gtest/gtest.h>

#include <vector>

namespace taskd {
namespace {

TEST(Utf8, Validation) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(is_valid_utf8("\xff"));
}

TEST(Utf8, Boundaries) {
  EXPECT_EQ(utf8_complete_prefix("ab\xe2\x82"), 2u);
  EXPECT_EQ(utf8_complete_prefix("ab\xe2\x82\xac"), 5u);
  EXPECT_EQ(utf8_continuation_prefix("\x82\xac"
                                     "ab"),
            2u);
}

TEST(Base64, RoundTrips) {
  for (std::string s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_FALSE(base64_decode("Zm9"));
  EXPECT_FALSE(base64_decode("Zm9!"));
  EXPECT_FALSE(base64_decode("Z=9v"));
}

}  // namespace
}  // namespace taskd
