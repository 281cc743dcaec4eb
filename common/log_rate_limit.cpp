#include "common/log_rate_limit.h"

#include <algorithm>
#include <utility>

namespace taskd {
namespace {

constexpr std::size_t kMaxKeyBytes = 256;     // longer messages are similar if their start is
constexpr std::size_t kMaxSampleBytes = 300;  // of the first suppressed line, in the summary

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string mask_digits(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (!is_digit(message[i])) {
      out += message[i];
    } else if (i == 0 || !is_digit(message[i - 1])) {
      out += '#';
    }
  }
  return out;
}

void LogRateLimiter::close(Window& window) {
  if (window.suppressed == 0) return;
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(limits_.window).count();
  summaries_.push_back(Summary{
      window.logger, window.level, window.suppressed,
      std::to_string(window.suppressed) + " similar line" + (window.suppressed == 1 ? "" : "s") +
          " suppressed in the last " + std::to_string(seconds) + "s: " + window.sample});
  window.suppressed = 0;
}

void LogRateLimiter::close_ended_windows(Time now) {
  if (now < next_end_ && windows_.size() < limits_.max_keys) return;
  next_end_ = Time::max();
  for (auto it = windows_.begin(); it != windows_.end();) {
    Time end = it->second.start + limits_.window;
    if (now >= end) {
      close(it->second);
      it = windows_.erase(it);
      continue;
    }
    if (it->second.suppressed > 0) next_end_ = std::min(next_end_, end);
    ++it;
  }
}

bool LogRateLimiter::admit(std::string_view logger, int level, std::string_view message, Time now) {
  close_ended_windows(now);
  std::string key = std::string(logger) + '\x1f' + std::to_string(level) + '\x1f' +
                    mask_digits(message.substr(0, kMaxKeyBytes));
  auto found = windows_.find(key);
  if (found == windows_.end()) {
    if (windows_.size() >= limits_.max_keys) return true;  // all busy: fail open, stay bounded
    windows_.emplace(std::move(key), Window{std::string(logger), level, now, 1, 0, {}});
    return true;
  }
  Window& window = found->second;
  if (now >= window.start + limits_.window) {  // a quiet window ended: start a new one
    close(window);
    window.start = now;
    window.passed = 1;
    return true;
  }
  if (window.passed < limits_.burst) {
    ++window.passed;
    return true;
  }
  if (window.suppressed++ == 0) {
    window.sample = std::string(message.substr(0, kMaxSampleBytes));
    next_end_ = std::min(next_end_, window.start + limits_.window);
  }
  return false;
}

std::vector<LogRateLimiter::Summary> LogRateLimiter::flush() {
  for (auto& [key, window] : windows_) close(window);
  next_end_ = Time::max();
  return take_summaries();
}

}  // namespace taskd
