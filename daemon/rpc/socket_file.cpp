#include "daemon/rpc/socket_file.h"

#include "common/log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace taskd::rpc {
namespace {

Error already_running(const std::string& path) {
  return make_error(ErrorCode::kAlreadyExists,
                    "another taskd is already listening on " + path + "; not starting");
}

Error io_failure(const std::string& what, const std::string& path, int err) {
  return make_error(ErrorCode::kIo, "failed to " + what + " " + path + ": " + std::strerror(err));
}

Result<void> owned_by_us(const std::string& path, const struct stat& st) {
  if (st.st_uid == ::geteuid()) return {};
  return make_error(ErrorCode::kIo, path + " is owned by uid " + std::to_string(st.st_uid) +
                                        ", not by taskd's uid " + std::to_string(::geteuid()) +
                                        "; not using it");
}

// True when a server accepts connections at `path`.
bool something_answers(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

mode_t socket_umask(unsigned mode) { return static_cast<mode_t>(~mode & 0777); }

Result<UniqueFd> claim_socket_path(const std::string& path) {
  std::string lock_path = path + ".lock";
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!lock) return io_failure("open lock file", lock_path, errno);
  struct stat lock_st {};
  if (::fstat(lock.get(), &lock_st) != 0) return io_failure("inspect", lock_path, errno);
  if (auto mine = owned_by_us(lock_path, lock_st); !mine) return mine.error();
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return already_running(path);
    return io_failure("lock", lock_path, errno);
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return lock;
    return io_failure("inspect", path, errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return make_error(ErrorCode::kIo, path + " exists and is not a socket; not replacing it");
  }
  if (auto mine = owned_by_us(path, st); !mine) return mine.error();
  if (something_answers(path)) return already_running(path);
  log(LogChannel::kRpc).info("removing stale socket path={}", path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_failure("remove", path, errno);
  return lock;
}

}  // namespace taskd::rpc
