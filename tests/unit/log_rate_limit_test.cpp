// Floods of similar log lines become one summary per window (issue 10, #13), with a fake clock.
#include "common/log_rate_limit.h"

#include <gtest/gtest.h>

namespace taskd {
namespace {

using Time = LogRateLimiter::Time;
using std::chrono::milliseconds;

constexpr int kInfo = 2;
constexpr int kWarn = 3;

Time at(int ms) { return Time{} + milliseconds(1'000'000 + ms); }

LogRateLimits small() { return LogRateLimits{3, milliseconds(1000), 4}; }

TEST(LogRateLimit, DigitsAreMaskedForSimilarity) {
  EXPECT_EQ(mask_digits("spawned pid 1234 of web:07"), "spawned pid # of web:#");
  EXPECT_EQ(mask_digits("no digits"), "no digits");
  EXPECT_EQ(mask_digits("42"), "#");
}

TEST(LogRateLimit, BurstPassesThenSimilarLinesAreCountedAndSummarised) {
  LogRateLimiter limiter(small());
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.admit("sup", kInfo, "exited pid " + std::to_string(100 + i), at(i)));
  }
  for (int i = 3; i < 10; ++i) {
    EXPECT_FALSE(limiter.admit("sup", kInfo, "exited pid " + std::to_string(100 + i), at(i)));
  }
  EXPECT_TRUE(limiter.take_summaries().empty());  // the window is still open
  EXPECT_TRUE(limiter.admit("sup", kInfo, "exited pid 999", at(1000)));
  auto summaries = limiter.take_summaries();
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].logger, "sup");
  EXPECT_EQ(summaries[0].level, kInfo);
  EXPECT_EQ(summaries[0].suppressed, 7u);
  EXPECT_EQ(summaries[0].text, "7 similar lines suppressed in the last 1s: exited pid 103");
}

TEST(LogRateLimit, DifferentMessagesLoggersAndLevelsDoNotShareAWindow) {
  LogRateLimiter limiter(small());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.admit("sup", kInfo, "a", at(i)));
  EXPECT_FALSE(limiter.admit("sup", kInfo, "a", at(3)));
  EXPECT_TRUE(limiter.admit("sup", kInfo, "b", at(4)));
  EXPECT_TRUE(limiter.admit("rpc", kInfo, "a", at(5)));
  EXPECT_TRUE(limiter.admit("sup", kWarn, "a", at(6)));
}

TEST(LogRateLimit, AQuietWindowStartsAfresh) {
  LogRateLimiter limiter(small());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.admit("sup", kInfo, "a", at(i)));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.admit("sup", kInfo, "a", at(5000 + i)));
  EXPECT_TRUE(limiter.take_summaries().empty());  // nothing was suppressed
}

TEST(LogRateLimit, KeysAreBoundedAndUntrackedKeysPass) {
  LogRateLimiter limiter(small());  // at most 4 windows
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(limiter.admit("sup", kInfo, std::string(1, 'a' + i), at(i)));
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.admit("sup", kInfo, "untracked", at(10 + i)));
  // Once the old windows end, the new key is tracked (and limited) like any other.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.admit("sup", kInfo, "untracked", at(2000 + i)));
  EXPECT_FALSE(limiter.admit("sup", kInfo, "untracked", at(2010)));
}

TEST(LogRateLimit, FlushReportsEveryPendingCount) {
  LogRateLimiter limiter(small());
  for (int i = 0; i < 5; ++i) limiter.admit("sup", kInfo, "a", at(i));
  for (int i = 0; i < 4; ++i) limiter.admit("rpc", kWarn, "b", at(i));
  auto summaries = limiter.flush();
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_EQ(summaries[0].suppressed + summaries[1].suppressed, 3u);
  EXPECT_TRUE(limiter.flush().empty());
}

}  // namespace
}  // namespace taskd
