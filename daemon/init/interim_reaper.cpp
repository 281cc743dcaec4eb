#include "daemon/init/interim_reaper.h"

#include "common/log.h"

#include <boost/asio/signal_set.hpp>

#include <sys/wait.h>

#include <csignal>
#include <memory>

namespace taskd::init {
namespace {

void reap(const std::shared_ptr<boost::asio::signal_set>& signals) {
  signals->async_wait([signals](const boost::system::error_code& ec, int) {
    if (ec) return;
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      log(LogChannel::kMain).debug("init: reaped orphan pid={} status={}", pid, status);
    }
    reap(signals);
  });
}

}  // namespace

void start_interim_reaper(boost::asio::io_context& io) {
  auto signals = std::make_shared<boost::asio::signal_set>(io, SIGCHLD);
  reap(signals);
  // Children that exited before the handler was installed sent their SIGCHLD already.
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

}  // namespace taskd::init
