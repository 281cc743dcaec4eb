#include "common/client_socket.h"

#include "common/firecracker_connect.h"
#include "common/vsock.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

namespace taskd {
namespace {

Error io_error(std::string what) { return make_error(ErrorCode::kIo, std::move(what)); }

Result<UniqueFd> connect_unix(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return io_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);  // length checked by the parser
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc < 0 && errno == EINTR);
  if (rc == 0) return fd;
  int err = errno;
  std::string where = "cannot connect to unix:" + path + ": " + std::strerror(err);
  if (err == ENOENT || err == ECONNREFUSED) where += " (is taskd running?)";
  return io_error(std::move(where));
}

}  // namespace

Result<UniqueFd> connect_address(const Address& address, const ConnectOptions& options) {
  if (auto* unix_address = std::get_if<UnixAddress>(&address)) {
    return connect_unix(unix_address->path);
  }
  // vsock and fc: reach a microVM that may still be booting, so they retry until the timeout.
  if (auto* vsock = std::get_if<VsockAddress>(&address)) {
    return connect_with_retry(
        to_string(address),
        [vsock](std::chrono::milliseconds left) { return connect_vsock_once(*vsock, left); },
        options.timeout);
  }
  const auto& firecracker = std::get<FirecrackerAddress>(address);
  return connect_with_retry(
      to_string(address),
      [&firecracker](std::chrono::milliseconds left) {
        return firecracker_connect_once(firecracker, left);
      },
      options.timeout);
}

Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE || errno == ECONNRESET) return io_error("taskd closed the connection");
      return io_error(std::string("write failed: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

LineClient::LineClient(UniqueFd fd, std::size_t max_line_bytes)
    : fd_(std::move(fd)), framer_(max_line_bytes) {}

Result<LineClient> LineClient::connect(const Address& address, const ConnectOptions& options) {
  auto fd = connect_address(address, options);
  if (!fd) return fd.error();
  return LineClient(std::move(*fd));
}

Result<void> LineClient::send_line(std::string_view line) {
  std::string framed;
  framed.reserve(line.size() + 1);
  framed.append(line).push_back('\n');
  return write_all(fd_.get(), framed);
}

Result<std::string> LineClient::read_line(int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    std::string_view line;
    switch (framer_.next(line)) {
      case LineFramer::Status::kLine: return std::string(line);
      case LineFramer::Status::kTooLong: return io_error("reply line exceeds the client limit");
      case LineFramer::Status::kNeedMore: break;
    }
    if (timeout_ms >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd pfd{fd_.get(), POLLIN, 0};
      int rc = ::poll(&pfd, 1, static_cast<int>(std::max<long>(0, left.count())));
      if (rc < 0 && errno == EINTR) return make_error(ErrorCode::kCancelled, "interrupted");
      if (rc == 0) return make_error(ErrorCode::kTimeout, "timed out waiting for a reply");
    }
    auto space = framer_.prepare(64 * 1024);
    ssize_t n = ::read(fd_.get(), space.data(), space.size());
    if (n < 0 && errno == EINTR) return make_error(ErrorCode::kCancelled, "interrupted");
    if (n < 0 && errno == ECONNRESET) return io_error("taskd closed the connection");
    if (n < 0) return io_error(std::string("read failed: ") + std::strerror(errno));
    if (n == 0) return io_error("taskd closed the connection");
    framer_.commit(static_cast<std::size_t>(n));
  }
}

}  // namespace taskd
