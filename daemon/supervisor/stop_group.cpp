#include "daemon/supervisor/stop_group.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <signal.h>

#include <memory>

namespace taskd::supervisor {
namespace asio = boost::asio;

void ExitNotifier::notify() {
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& waiter : waiters) waiter();
}

asio::awaitable<void> stop_group(asio::io_context& io, pid_t pgid, std::chrono::milliseconds grace,
                                 std::function<bool()> running, ExitNotifier& exited) {
  if (!running()) co_return;
  auto gone = std::make_shared<asio::steady_timer>(io);
  exited.add([gone] { gone->cancel(); });
  ::killpg(pgid, SIGTERM);
  gone->expires_after(grace);
  co_await gone->async_wait(asio::as_tuple(asio::use_awaitable));
  if (!running()) co_return;
  ::killpg(pgid, SIGKILL);
  exited.add([gone] { gone->cancel(); });
  gone->expires_after(std::chrono::seconds(5));  // SIGKILL cannot be ignored; D state can delay it
  co_await gone->async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace taskd::supervisor
