// LogThrottle: one line per interval, and the next one says how many were suppressed.
#include "daemon/rpc/log_throttle.h"

#include <gtest/gtest.h>

namespace taskd::rpc {
namespace {

TEST(LogThrottle, OneLinePerIntervalCountingTheRest) {
  LogThrottle throttle(std::chrono::seconds(10));
  auto t0 = LogThrottle::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_EQ(throttle.allow(t0), 0u);
  for (int i = 1; i <= 99; ++i)
    EXPECT_FALSE(throttle.allow(t0 + std::chrono::milliseconds(100 * i)));
  EXPECT_EQ(throttle.allow(t0 + std::chrono::seconds(10)), 99u);
  EXPECT_FALSE(throttle.allow(t0 + std::chrono::seconds(11)));
  EXPECT_EQ(throttle.allow(t0 + std::chrono::seconds(30)), 1u);
}

}  // namespace
}  // namespace taskd::rpc
