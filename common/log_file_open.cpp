#include "common/log_file_open.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace taskd {
namespace {

Error refused(const std::string& path, const std::string& why) {
  return make_error(ErrorCode::kIo, "refusing to open log file " + path + ": " + why);
}

Result<UniqueFd> open_checked(const std::string& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, kLogFileMode));
  if (!fd) {
    int error = errno;
    if (error == ELOOP) return refused(path, "it is a symbolic link");
    if (error == ENXIO) return refused(path, "it is a FIFO with no reader");
    return make_error(ErrorCode::kIo,
                      "failed to open log file " + path + ": " + std::strerror(error));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return make_error(ErrorCode::kIo, "failed to inspect " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return refused(path, "it is not a regular file");
  if (st.st_nlink != 1) {
    return refused(path, "it has " + std::to_string(st.st_nlink) + " hard links");
  }
  // Regular files ignore O_NONBLOCK, but clear it so nothing later depends on that.
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  return fd;
}

}  // namespace

Result<UniqueFd> open_log_file(const std::string& path, bool append) {
  return open_checked(path, O_WRONLY | O_CREAT | (append ? O_APPEND : 0));
}

Result<void> truncate_log_file(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) return {};
  auto fd = open_checked(path, O_WRONLY);
  if (!fd) return fd.error();
  if (::ftruncate(fd->get(), 0) != 0) {
    return make_error(ErrorCode::kIo, "failed to truncate " + path + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace taskd
