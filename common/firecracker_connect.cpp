#include "common/firecracker_connect.h"

#include <poll.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>

namespace taskd {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

AttemptResult connect_uds(const std::string& path, milliseconds timeout) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ConnectFailure{"socket", std::strerror(errno), false};
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);  // length checked by the parser
  int err = connect_with_timeout(fd.get(), reinterpret_cast<const sockaddr*>(&address),
                                 sizeof address, timeout);
  if (err == 0) return fd;
  // Both may be a Firecracker that is still starting, so both are retried until the timeout.
  if (err == ENOENT) {
    return ConnectFailure{"socket missing",
                          path + " does not exist (is Firecracker running with this uds_path?)"};
  }
  if (err == ECONNREFUSED) {
    return ConnectFailure{"refused", "nothing accepts on " + path +
                                         " (a stale socket of a Firecracker that exited?)"};
  }
  return ConnectFailure{"unreachable", path + ": " + std::strerror(err), err == ETIMEDOUT};
}

// Reads one '\n'-terminated line, one byte at a time, until `deadline`.
enum class LineStatus { kLine, kClosed, kTimeout, kTooLong, kError };
LineStatus read_reply_line(int fd, Clock::time_point deadline, std::string& line) {
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    pollfd pfd{fd, POLLIN, 0};
    int rc = ::poll(&pfd, 1, static_cast<int>(std::max<long>(0, left.count())));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return LineStatus::kError;
    if (rc == 0) return LineStatus::kTimeout;
    char c;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == ECONNRESET ? LineStatus::kClosed : LineStatus::kError;
    if (n == 0) return LineStatus::kClosed;
    if (c == '\n') return LineStatus::kLine;
    if (line.size() >= kMaxFirecrackerReply) return LineStatus::kTooLong;
    line.push_back(c);
  }
}

std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    out += (c >= 0x20 && c < 0x7f) ? std::string(1, c) : "\\x" + std::to_string(c & 0xff);
  }
  return out;
}

}  // namespace

std::optional<std::uint32_t> parse_connect_reply(std::string_view line) {
  if (!line.starts_with("OK ")) return std::nullopt;
  line.remove_prefix(3);
  std::uint32_t port = 0;
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), port);
  if (line.empty() || ec != std::errc{} || end != line.data() + line.size()) return std::nullopt;
  return port;
}

AttemptResult firecracker_connect_once(const FirecrackerAddress& address, milliseconds time_left) {
  auto start = Clock::now();
  auto connected = connect_uds(address.uds_path, time_left);
  if (!connected) return connected;
  UniqueFd fd = std::move(*connected);

  // One write: Firecracker parses the request from the first read and does not reassemble it.
  std::string request = "CONNECT " + std::to_string(address.port) + "\n";
  ssize_t sent = ::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL);
  if (sent != static_cast<ssize_t>(request.size())) {
    return ConnectFailure{"no OK line",
                          "the connection closed before CONNECT was sent: " +
                              std::string(sent < 0 ? std::strerror(errno) : "short write")};
  }

  auto reply_budget =
      std::min(kFirecrackerReplyTimeout,
               std::chrono::duration_cast<milliseconds>(time_left - (Clock::now() - start)));
  std::string line;
  std::string guest = "guest vsock port " + std::to_string(address.port);
  switch (read_reply_line(fd.get(), Clock::now() + std::max(reply_budget, milliseconds(1)), line)) {
    case LineStatus::kLine: break;
    case LineStatus::kClosed:
      if (!line.empty()) {
        return ConnectFailure{"bad reply", "closed after '" + printable(line) + "'", false};
      }
      return ConnectFailure{"no OK line", "the connection was closed after CONNECT " +
                                              std::to_string(address.port) +
                                              " (nothing listening on " + guest + " yet?)"};
    case LineStatus::kTimeout:
      return ConnectFailure{"no OK line", "no reply to CONNECT " + std::to_string(address.port) +
                                              " within " + std::to_string(reply_budget.count()) +
                                              " ms"};
    case LineStatus::kTooLong:
      return ConnectFailure{"bad reply", "expected 'OK <port>', got '" + printable(line) + "...'",
                            false};
    case LineStatus::kError:
      return ConnectFailure{"no OK line", std::string("read failed: ") + std::strerror(errno)};
  }
  if (!parse_connect_reply(line)) {
    return ConnectFailure{"bad reply", "expected 'OK <port>', got '" + printable(line) + "'",
                          false};
  }
  return fd;
}

}  // namespace taskd
