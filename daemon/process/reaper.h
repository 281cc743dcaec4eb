// The one reaper: SIGCHLD → reap exited children one per loop turn, each status dispatched to
// whoever watches that pid. The daemon is a child subreaper, so double-forked descendants come
// back here too; an exit nobody watches is reported as an orphan. Reaping one child per turn
// (the next one is posted) keeps children that exit as fast as they are started from starving
// every other handler on the loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <sys/types.h>

#include <functional>
#include <unordered_map>

namespace taskd::process {

// What happens to the rest of a watched child's process group when the child (its leader) exits.
enum class LeaderExit {
  kKeepGroup,  // the owner stops the group itself (execs, tasks, agents)
  kKillGroup,  // SIGKILL whatever is left in the group, before the leader is reaped
};

class Reaper {
 public:
  using OnExit = std::function<void(int wait_status)>;
  using OnOrphan = std::function<void(pid_t pid, int wait_status)>;

  explicit Reaper(boost::asio::io_context& io);

  // Watch a child right after spawning it (before the event loop runs again).
  void watch(pid_t pid, OnExit on_exit, LeaderExit group = LeaderExit::kKeepGroup);
  void unwatch(pid_t pid);
  void on_orphan(OnOrphan handler) { on_orphan_ = std::move(handler); }
  std::size_t watched() const { return watchers_.size(); }

 private:
  struct Watcher {
    OnExit on_exit;
    LeaderExit group;
  };

  void wait_for_signal();
  // Reaps one exited child if there is one and posts the next attempt; false when none was there.
  void reap_next();
  bool reap_one();

  boost::asio::io_context& io_;
  boost::asio::signal_set sigchld_;
  std::unordered_map<pid_t, Watcher> watchers_;
  OnOrphan on_orphan_;
  bool reap_posted_ = false;
};

// "exit status 1", "terminated by SIGKILL (core dumped)".
std::string describe_wait_status(int wait_status);

}  // namespace taskd::process
