#include "common/line_framer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace taskd {
namespace {

std::vector<std::string> drain(LineFramer& framer) {
  std::vector<std::string> lines;
  std::string_view line;
  while (framer.next(line) == LineFramer::Status::kLine) lines.emplace_back(line);
  return lines;
}

TEST(LineFramer, LineSplitAcrossReads) {
  LineFramer framer(100);
  framer.append("{\"a\":");
  EXPECT_TRUE(drain(framer).empty());
  framer.append("1}\n");
  EXPECT_EQ(drain(framer), std::vector<std::string>{"{\"a\":1}"});
}

TEST(LineFramer, SeveralLinesInOneRead) {
  LineFramer framer(100);
  framer.append("one\ntwo\n\nthree");
  EXPECT_EQ(drain(framer), (std::vector<std::string>{"one", "two", ""}));
  framer.append("\n");
  EXPECT_EQ(drain(framer), std::vector<std::string>{"three"});
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(LineFramer, PrepareAndCommit) {
  LineFramer framer(100);
  auto space = framer.prepare(8);
  ASSERT_GE(space.size(), 8u);
  std::memcpy(space.data(), "ab\ncd\n", 6);
  framer.commit(6);
  EXPECT_EQ(drain(framer), (std::vector<std::string>{"ab", "cd"}));
}

TEST(LineFramer, LineAtTheLimitIsAccepted) {
  LineFramer framer(5);
  framer.append("12345\n");
  EXPECT_EQ(drain(framer), std::vector<std::string>{"12345"});
}

TEST(LineFramer, CompleteLineOverTheLimit) {
  LineFramer framer(5);
  framer.append("123456\n");
  std::string_view line;
  EXPECT_EQ(framer.next(line), LineFramer::Status::kTooLong);
}

TEST(LineFramer, UnterminatedLineOverTheLimit) {
  LineFramer framer(5);
  framer.append("123");
  std::string_view line;
  EXPECT_EQ(framer.next(line), LineFramer::Status::kNeedMore);
  framer.append("456");
  EXPECT_EQ(framer.next(line), LineFramer::Status::kTooLong);
}

TEST(LineFramer, ByteByByte) {
  LineFramer framer(100);
  std::vector<std::string> lines;
  for (char c : std::string("hello\nworld\n")) {
    framer.append(std::string_view(&c, 1));
    for (auto& line : drain(framer)) lines.push_back(line);
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"hello", "world"}));
}

}  // namespace
}  // namespace taskd
