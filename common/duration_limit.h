// The longest duration a client may ask for (timeouts, graces, waits): 30 days. Beyond it a
// steady_clock deadline overflows (INT64_MAX ms became a timer that fired at once), so decoders
// reject more and every timer armed from a request clamps to it as well.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace taskd {

inline constexpr std::int64_t kMaxDurationMs = 30LL * 24 * 3600 * 1000;

inline bool is_valid_duration_ms(std::int64_t ms) { return ms >= 0 && ms <= kMaxDurationMs; }

inline std::chrono::milliseconds bounded_ms(std::int64_t ms) {
  return std::chrono::milliseconds(std::clamp<std::int64_t>(ms, 0, kMaxDurationMs));
}

}  // namespace taskd
