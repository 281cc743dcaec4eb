#include "daemon/process/reaper.h"

#include "common/log.h"
#include "common/signals.h"
#include "daemon/process/child_records.h"

#include <boost/asio/post.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

namespace taskd::process {

Reaper::Reaper(boost::asio::io_context& io) : io_(io), sigchld_(io, SIGCHLD) {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    log(LogChannel::kSup).warn("failed to become child subreaper: {}", std::strerror(errno));
  }
  wait_for_signal();
}

void Reaper::wait_for_signal() {
  sigchld_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (!reap_posted_) reap_next();
    wait_for_signal();
  });
}

void Reaper::watch(pid_t pid, OnExit on_exit, LeaderExit group) {
  watchers_[pid] = Watcher{std::move(on_exit), group};
}

void Reaper::unwatch(pid_t pid) { watchers_.erase(pid); }

void Reaper::reap_next() {
  reap_posted_ = false;
  if (!reap_one()) return;
  // Whatever the handler started (a restart, a reply) gets its turn before the next child.
  reap_posted_ = true;
  boost::asio::post(io_, [this] { reap_next(); });
}

bool Reaper::reap_one() {
  // Look first without reaping: while the exited child is a zombie its pid, and so its process
  // group id, cannot be reused, which makes this the one moment its group can be killed safely.
  siginfo_t info{};
  int rc;
  do {
    rc = ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 || info.si_pid == 0) return false;
  pid_t pid = info.si_pid;
  auto found = watchers_.find(pid);
  if (found != watchers_.end() && found->second.group == LeaderExit::kKillGroup) {
    ::killpg(pid, SIGKILL);  // ESRCH when the leader was alone: nothing to do
  }
  int status = 0;
  pid_t reaped;
  do {
    reaped = ::waitpid(pid, &status, WNOHANG);
  } while (reaped < 0 && errno == EINTR);
  if (reaped != pid) return true;  // someone else reaped it (cannot happen here); look again
  child_records::forget(pid);
  if (found == watchers_.end()) {
    log(LogChannel::kSup)
        .info("orphan reaped pid={} status=\"{}\"", pid, describe_wait_status(status));
    if (on_orphan_) on_orphan_(pid, status);
    return true;
  }
  OnExit handler = std::move(found->second.on_exit);
  watchers_.erase(found);
  handler(status);
  return true;
}

std::string describe_wait_status(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    std::string text = "terminated by " + signal_name(WTERMSIG(wait_status));
    if (WCOREDUMP(wait_status)) text += " (core dumped)";
    return text;
  }
  return "status " + std::to_string(wait_status);
}

}  // namespace taskd::process
