#include "common/connect_attempt.h"

#include <fcntl.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <thread>

namespace taskd {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kFirstBackoff{10};
constexpr milliseconds kMaxBackoff{250};
constexpr milliseconds kMinAttempt{50};

std::string seconds_text(Clock::duration elapsed) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", std::chrono::duration<double>(elapsed).count());
  return text;
}

}  // namespace

Result<UniqueFd> connect_with_retry(const std::string& target, const Attempt& attempt,
                                    milliseconds timeout) {
  auto start = Clock::now();
  auto deadline = start + timeout;
  milliseconds backoff = kFirstBackoff;
  int attempts = 0;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    ++attempts;
    auto result = attempt(std::max(left, milliseconds(1)));
    if (result) return std::move(*result);
    left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    // No room for one more real attempt: report this failure, not a deadline-starved retry's.
    if (!result.error().retryable || left < kMinAttempt) {
      const ConnectFailure& failure = result.error();
      std::string message =
          "cannot connect to " + target + ": " + failure.step + ": " + failure.detail;
      if (attempts > 1) {
        message += " (" + std::to_string(attempts) + " attempts in " +
                   seconds_text(Clock::now() - start) + ")";
      }
      return make_error(ErrorCode::kIo, std::move(message)).with("step", failure.step);
    }
    std::this_thread::sleep_for(std::min(backoff, left - kMinAttempt));
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

int connect_with_timeout(int fd, const sockaddr* address, socklen_t length, milliseconds timeout) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return errno;
  int err = 0;
  if (::connect(fd, address, length) != 0) {
    err = errno;
    if (err == EINPROGRESS || err == EINTR) {
      pollfd pfd{fd, POLLOUT, 0};
      int rc;
      do {
        rc = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
      } while (rc < 0 && errno == EINTR);
      socklen_t size = sizeof err;
      if (rc == 0) {
        err = ETIMEDOUT;
      } else if (rc < 0) {
        err = errno;
      } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &size) != 0) {
        err = errno;
      }
    }
  }
  if (::fcntl(fd, F_SETFL, flags) < 0 && err == 0) err = errno;
  return err;
}

}  // namespace taskd
