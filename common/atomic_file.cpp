#include "common/atomic_file.h"

#include "common/unique_fd.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace taskd {
namespace {

Error failed(const std::string& what, const std::string& path, int err = errno) {
  const char* name = ::strerrorname_np(err);
  return make_error(ErrorCode::kIo, what + " " + path + ": " + std::strerror(err))
      .with("errno", name ? name : std::to_string(err));
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

Result<void> fsync_directory(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return failed("failed to open", dir);
  if (::fsync(fd.get()) != 0) return failed("failed to fsync", dir);
  return {};
}

Result<void> write_all(int fd, std::string_view content, const std::string& path) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failed("failed to write", path);
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

Result<void> write_file_atomically(const std::string& path, std::string_view content,
                                   unsigned mode) {
  std::string temp = path + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd) return failed("failed to create", temp);
  Result<void> written = write_all(fd.get(), content, temp);
  if (written && ::fsync(fd.get()) != 0) written = failed("failed to fsync", temp);
  if (written && ::close(fd.release()) != 0) written = failed("failed to close", temp);
  if (written && ::rename(temp.c_str(), path.c_str()) != 0)
    written = failed("failed to rename over", path);
  if (!written) {
    ::unlink(temp.c_str());
    return written;
  }
  return fsync_directory(parent_of(path));  // makes the rename itself durable
}

Result<std::string> read_whole_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return failed("failed to open", path);
  std::string content;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failed("failed to read", path);
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  return content;
}

int remove_stale_temp_files(const std::string& path) {
  std::string dir = parent_of(path);
  std::string prefix = path.substr(path.rfind('/') + 1) + ".tmp.";
  DIR* listing = ::opendir(dir.c_str());
  if (!listing) return 0;
  int removed = 0;
  while (dirent* entry = ::readdir(listing)) {
    if (std::strncmp(entry->d_name, prefix.c_str(), prefix.size()) != 0) continue;
    if (::unlinkat(::dirfd(listing), entry->d_name, 0) == 0) ++removed;
  }
  ::closedir(listing);
  return removed;
}

Result<void> create_directories_durably(const std::string& path, unsigned mode) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return {};
    return failed("failed to create the directory", path, ENOTDIR);
  }
  std::string parent = parent_of(path);
  if (parent != path) {
    if (auto made = create_directories_durably(parent, mode); !made) return made;
  }
  if (::mkdir(path.c_str(), mode) != 0) {
    if (errno == EEXIST) return {};
    return failed("failed to create the directory", path);
  }
  return fsync_directory(parent);
}

}  // namespace taskd
