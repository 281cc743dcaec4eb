// The one reaper: SIGCHLD → waitpid(-1, WNOHANG) until nothing is left, each status dispatched to
// whoever watches that pid. The daemon is a child subreaper, so double-forked descendants come
// back here too; an exit nobody watches is reported as an orphan.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <sys/types.h>

#include <functional>
#include <unordered_map>

namespace taskd::supervisor {

class Reaper {
 public:
  using OnExit = std::function<void(int wait_status)>;
  using OnOrphan = std::function<void(pid_t pid, int wait_status)>;

  explicit Reaper(boost::asio::io_context& io);

  // Watch a child right after spawning it (before the event loop runs again).
  void watch(pid_t pid, OnExit on_exit);
  void unwatch(pid_t pid);
  void on_orphan(OnOrphan handler) { on_orphan_ = std::move(handler); }
  // Reaps whatever has exited now (also called on each SIGCHLD).
  void reap_now();
  std::size_t watched() const { return watchers_.size(); }

 private:
  void wait_for_signal();

  boost::asio::signal_set sigchld_;
  std::unordered_map<pid_t, OnExit> watchers_;
  OnOrphan on_orphan_;
};

// "exit status 1", "terminated by SIGKILL (core dumped)".
std::string describe_wait_status(int wait_status);

}  // namespace taskd::supervisor
