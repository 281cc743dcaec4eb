#include "daemon/readiness.h"

#include "common/log.h"
#include "common/unique_fd.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace taskd {

void notify_ready_fd(int& fd) {
  if (fd < 0) return;
  ssize_t n;
  do {
    n = ::write(fd, "\n", 1);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  fd = -1;
}

void notify_systemd(const std::string& state) {
  const char* socket_path = std::getenv("NOTIFY_SOCKET");
  if (!socket_path || !*socket_path) return;
  std::size_t length = std::strlen(socket_path);
  sockaddr_un address{};
  if (length >= sizeof address.sun_path) return;
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path, length);
  if (address.sun_path[0] == '@') address.sun_path[0] = '\0';  // abstract namespace
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return;
  auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length);
  if (::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
               reinterpret_cast<sockaddr*>(&address), size) < 0) {
    log(LogChannel::kMain).warn("failed to notify systemd: {}", std::strerror(errno));
  }
}

}  // namespace taskd
