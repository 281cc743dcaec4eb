// Foreign text on a log line can neither end the line nor drive a terminal (issue 10, #10).
#include "common/log_escape.h"

#include <gtest/gtest.h>

namespace taskd {
namespace {

TEST(LogEscape, PlainTextAndValidUtf8AreUnchanged) {
  for (std::string text : {"", "hello world", "path=/tmp/a b \\ c", "caf\xc3\xa9 \xe2\x82\xac",
                           "\xf0\x9f\x98\x80 done"}) {
    EXPECT_FALSE(needs_log_escape(text)) << text;
    EXPECT_EQ(escape_for_log(text), text);
  }
}

TEST(LogEscape, LineBreaksCannotForgeALine) {
  std::string forged = "oops\n[2026-12-02 06:00:00.000] [taskd] [critical] forged\r\n";
  EXPECT_TRUE(needs_log_escape(forged));
  EXPECT_EQ(escape_for_log(forged),
            "oops\\n[2026-12-02 06:00:00.000] [taskd] [critical] forged\\r\\n");
}

TEST(LogEscape, ControlCharactersAreEscaped) {
  EXPECT_EQ(escape_for_log(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(escape_for_log("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(escape_for_log("tab\there"), "tab\\there");
  EXPECT_EQ(escape_for_log("del\x7f"), "del\\x7f");
  EXPECT_EQ(escape_for_log("bell\a back\b"), "bell\\x07 back\\x08");
}

TEST(LogEscape, C1ControlsAndUnicodeLineSeparatorsAreEscaped) {
  EXPECT_EQ(escape_for_log("nel\xc2\x85x"), "nel\\u0085x");  // U+0085 NEXT LINE
  EXPECT_EQ(escape_for_log("csi\xc2\x9b"
                           "31m"),
            "csi\\u009b31m");
  EXPECT_EQ(escape_for_log("a\xe2\x80\xa8"
                           "b\xe2\x80\xa9"),
            "a\\u2028b\\u2029");
}

TEST(LogEscape, InvalidUtf8BecomesHexBytes) {
  EXPECT_EQ(escape_for_log("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(escape_for_log("cut \xe2\x82"), "cut \\xe2\\x82");          // truncated sequence
  EXPECT_EQ(escape_for_log("over\xc0\xaflong"), "over\\xc0\\xaflong");  // overlong '/'
  EXPECT_EQ(escape_for_log("sur\xed\xa0\x80"), "sur\\xed\\xa0\\x80");   // a UTF-16 surrogate
  EXPECT_EQ(escape_for_log("\x80"), "\\x80");                           // lone continuation
}

TEST(LogEscape, NothingEscapedContainsAControlByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  std::string out = escape_for_log(all + all);
  for (unsigned char c : out) EXPECT_TRUE(c >= 0x20 && c != 0x7f && c < 0x80) << int(c);
  EXPECT_FALSE(needs_log_escape(out));
}

}  // namespace
}  // namespace taskd
