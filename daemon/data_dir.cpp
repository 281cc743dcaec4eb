#include "daemon/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace taskd {
namespace {

Error io_failure(const std::string& what, const std::string& path, int error) {
  return make_error(ErrorCode::kIo, "failed to " + what + " " + path + ": " + std::strerror(error));
}

Error unsafe(const std::string& path, const std::string& why) {
  return make_error(ErrorCode::kInvalidConfig,
                    "data_dir " + path + " " + why +
                        "; refusing it (use a directory only taskd's user can write)");
}

std::string octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// mkdir -p: missing parents get 0755, `path` itself 0700. True in `created` when `path` was made
// here (so it is ours to chmod).
Result<void> make_directory(const std::string& path, mode_t mode, bool& created) {
  created = false;
  if (::mkdir(path.c_str(), mode) == 0) {
    created = true;
    return {};
  }
  if (errno == EEXIST) return {};
  if (errno != ENOENT) return io_failure("create data directory", path, errno);
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return io_failure("create", path, ENOENT);
  bool parent_created = false;
  if (auto parent = make_directory(path.substr(0, slash), 0755, parent_created); !parent) {
    return parent;
  }
  if (::mkdir(path.c_str(), mode) == 0) {
    created = true;
    return {};
  }
  if (errno == EEXIST) return {};
  return io_failure("create data directory", path, errno);
}

// A symlink as data_dir is followed only when taskd's user or root made it.
Result<UniqueFd> open_directory(const std::string& path) {
  struct stat link {};
  if (::lstat(path.c_str(), &link) != 0) return io_failure("inspect", path, errno);
  if (S_ISLNK(link.st_mode) && link.st_uid != ::geteuid() && link.st_uid != 0) {
    return unsafe(path, "is a symlink owned by uid " + std::to_string(link.st_uid));
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return io_failure("open data directory", path, errno);
  return fd;
}

Result<void> check_ownership(const std::string& path, int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return io_failure("inspect", path, errno);
  if (st.st_uid != ::geteuid()) {
    return unsafe(path, "is owned by uid " + std::to_string(st.st_uid) + ", not by taskd's uid " +
                            std::to_string(::geteuid()));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return unsafe(path, "is writable by group or others (mode " + octal(st.st_mode) + ")");
  }
  return {};
}

Result<UniqueFd> lock_directory(const std::string& path, int dir_fd) {
  std::string lock_path = path + "/.lock";
  UniqueFd lock(::openat(dir_fd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!lock) return io_failure("open lock file", lock_path, errno);
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return io_failure("lock", lock_path, errno);
    return make_error(ErrorCode::kAlreadyExists, "another taskd is using data_dir " + path + " (" +
                                                     lock_path + " is locked); not starting");
  }
  return lock;
}

}  // namespace

Result<UniqueFd> claim_data_dir(const std::string& path) {
  bool created = false;
  if (auto made = make_directory(path, 0700, created); !made) return made.error();
  auto dir = open_directory(path);
  if (!dir) return dir.error();
  if (created && ::fchmod(dir->get(), 0700) != 0) return io_failure("chmod", path, errno);
  if (auto safe = check_ownership(path, dir->get()); !safe) return safe.error();
  return lock_directory(path, dir->get());
}

}  // namespace taskd
