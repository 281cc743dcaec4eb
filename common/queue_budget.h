// The daemon-wide bound on bytes held for clients (queued replies and events, and replies
// reserved but still to come) across all connections. Each connection holds up to `allowance`
// bytes freely, so a client that keeps up is never refused because others do not; what it holds
// beyond that counts against `limit`. Plain bookkeeping for the io thread.
#pragma once

#include <cstddef>

namespace taskd {

inline constexpr std::size_t kQueueAllowance = 64 * 1024;

class QueueBudget {
 public:
  explicit QueueBudget(std::size_t limit, std::size_t allowance = kQueueAllowance)
      : limit_(limit), allowance_(allowance) {}

  // Whether one connection may go from holding `from` bytes to `to` (always when it shrinks).
  bool allows(std::size_t from, std::size_t to) const {
    std::size_t before = excess(from);
    std::size_t after = excess(to);
    return after <= before || used_ - before + after <= limit_;
  }
  // Records that a connection now holds `to` bytes instead of `from`.
  void move(std::size_t from, std::size_t to) { used_ = used_ - excess(from) + excess(to); }

  std::size_t used() const { return used_; }
  std::size_t limit() const { return limit_; }

 private:
  std::size_t excess(std::size_t held) const { return held > allowance_ ? held - allowance_ : 0; }

  std::size_t limit_;
  std::size_t allowance_;
  std::size_t used_ = 0;
};

}  // namespace taskd
