// The bound on live agents ([sessions] max_warm): opening or resuming one more first reaps the
// least recently used session that can give its agent up (ready or idle, not being stopped,
// never the active one, never the one being started). Pure: SessionManager lists the
// candidates and stops the one chosen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace taskd::sessions {

struct WarmCandidate {
  std::string id;
  std::int64_t last_activity_ms = 0;
};

class WarmPool {
 public:
  explicit WarmPool(std::size_t max_warm) : max_warm_(max_warm) {}

  std::size_t max_warm() const { return max_warm_; }
  bool full(std::size_t warm) const { return warm >= max_warm_; }
  // The least recently active candidate (the first listed on a tie); none when there is none,
  // and then one more agent is allowed rather than a busy one killed.
  static std::optional<std::string> choose_victim(std::span<const WarmCandidate> candidates);

 private:
  std::size_t max_warm_;
};

}  // namespace taskd::sessions
