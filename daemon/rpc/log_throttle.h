// Lets one log line of a kind through per interval and counts the rest, so a flood of refused
// peers or failed accepts cannot fill the log. Local to the listeners (general log-line rate
// limiting lives in common/log).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace taskd::rpc {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LogThrottle(std::chrono::milliseconds interval) : interval_(interval) {}

  // nullopt: stay quiet. Otherwise log now, saying how many lines were suppressed before it.
  std::optional<std::uint64_t> allow(Clock::time_point now = Clock::now()) {
    if (last_ && now - *last_ < interval_) {
      ++suppressed_;
      return std::nullopt;
    }
    last_ = now;
    std::uint64_t suppressed = suppressed_;
    suppressed_ = 0;
    return suppressed;
  }

 private:
  std::chrono::milliseconds interval_;
  std::optional<Clock::time_point> last_;
  std::uint64_t suppressed_ = 0;
};

}  // namespace taskd::rpc
