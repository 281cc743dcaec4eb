// Stopping a child's whole process group gracefully: SIGTERM, then SIGKILL after a grace
// period, returning as soon as the child is reaped. Shared by task processes and agents.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <vector>

namespace taskd::supervisor {

// Wakes whoever waits for a child's exit; the owner calls notify() from its reaper callback.
class ExitNotifier {
 public:
  void add(std::function<void()> waiter) { waiters_.push_back(std::move(waiter)); }
  void notify();

 private:
  std::vector<std::function<void()>> waiters_;
};

// `running` says whether the child is still there (checked after each wait).
boost::asio::awaitable<void> stop_group(boost::asio::io_context& io, pid_t pgid,
                                        std::chrono::milliseconds grace,
                                        std::function<bool()> running, ExitNotifier& exited);

}  // namespace taskd::supervisor
