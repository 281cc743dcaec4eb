// Keeps a flood of similar log lines (a crash loop, a peer retrying, a full disk) from burying
// the log: per key (logger, level, and the message with every run of digits masked, so lines
// that differ only in a pid or a count are similar), the first `burst` lines of a window pass;
// the rest are counted, and once the window is over one summary line says how many were
// suppressed. Memory is bounded: at most `max_keys` windows are tracked (untracked keys pass).
// Pure: time comes in as an argument, so the policy is unit-tested without sleeping.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace taskd {

struct LogRateLimits {
  std::size_t burst = 20;
  std::chrono::milliseconds window{10000};
  std::size_t max_keys = 512;
};

class LogRateLimiter {
 public:
  using Time = std::chrono::system_clock::time_point;

  struct Summary {
    std::string logger;
    int level = 0;
    std::size_t suppressed = 0;
    std::string text;  // "N similar lines suppressed in the last Ss: <first suppressed line>"
  };

  explicit LogRateLimiter(LogRateLimits limits = {}) : limits_(limits) {}

  // True when the line should be written. Summaries of windows that have ended by `now` are
  // queued for take_summaries() (write them before this line).
  bool admit(std::string_view logger, int level, std::string_view message, Time now);
  std::vector<Summary> take_summaries() { return std::exchange(summaries_, {}); }
  // Every pending count, as at shutdown.
  std::vector<Summary> flush();

 private:
  struct Window {
    std::string logger;
    int level = 0;
    Time start;
    std::size_t passed = 0;
    std::size_t suppressed = 0;
    std::string sample;
  };

  void close_ended_windows(Time now);
  void close(Window& window);

  LogRateLimits limits_;
  std::unordered_map<std::string, Window> windows_;
  std::vector<Summary> summaries_;
  Time next_end_ = Time::max();  // earliest end of a window that has suppressed lines
};

// The message with each run of ASCII digits replaced by '#'.
std::string mask_digits(std::string_view message);

}  // namespace taskd
