#include "daemon/supervisor/reaper.h"

#include "common/log.h"
#include "common/signals.h"
#include "daemon/supervisor/child_records.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <cerrno>

namespace taskd::supervisor {

Reaper::Reaper(boost::asio::io_context& io) : sigchld_(io, SIGCHLD) {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    log(LogChannel::kSup).warn("failed to become child subreaper: {}", std::strerror(errno));
  }
  wait_for_signal();
}

void Reaper::wait_for_signal() {
  sigchld_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    reap_now();
    wait_for_signal();
  });
}

void Reaper::watch(pid_t pid, OnExit on_exit) { watchers_[pid] = std::move(on_exit); }

void Reaper::unwatch(pid_t pid) { watchers_.erase(pid); }

void Reaper::reap_now() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) return;
    child_records::forget(pid);
    auto found = watchers_.find(pid);
    if (found == watchers_.end()) {
      log(LogChannel::kSup)
          .info("orphan reaped pid={} status=\"{}\"", pid, describe_wait_status(status));
      if (on_orphan_) on_orphan_(pid, status);
      continue;
    }
    OnExit handler = std::move(found->second);
    watchers_.erase(found);
    handler(status);
  }
}

std::string describe_wait_status(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    std::string name = signal_name(WTERMSIG(wait_status));
    std::string text = "terminated by " + (name.starts_with("SIG") ? name : "SIG" + name);
    if (WCOREDUMP(wait_status)) text += " (core dumped)";
    return text;
  }
  return "status " + std::to_string(wait_status);
}

}  // namespace taskd::supervisor
