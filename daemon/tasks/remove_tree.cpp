#include "daemon/tasks/remove_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000  // linux/stat.h since 5.8
#endif

namespace taskd::tasks {
namespace {

// Deeper trees are refused rather than held open one fd per level.
constexpr int kMaxDepth = 256;

Error refused(const std::string& path, const std::string& why) {
  return make_error(ErrorCode::kPermissionDenied, "refusing to remove " + path + ": " + why);
}

// True when DIR_FD/NAME is the root of a mount (bind mounts of the same file system included).
bool is_mount_point(int dir_fd, const std::string& name, dev_t parent_dev) {
  struct statx stx {};
  if (::statx(dir_fd, name.c_str(), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS,
              &stx) != 0) {
    return false;  // gone: nothing to protect
  }
  if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
      (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    return true;
  return makedev(stx.stx_dev_major, stx.stx_dev_minor) != parent_dev;
}

std::vector<std::string> entry_names(int dir_fd) {
  std::vector<std::string> names;
  int copy = ::dup(dir_fd);
  if (copy < 0) return names;
  DIR* dir = ::fdopendir(copy);
  if (!dir) {
    ::close(copy);
    return names;
  }
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(dir);
  return names;
}

Result<void> remove_tree(int parent_fd, const std::string& name, const std::string& shown,
                         dev_t dev, int depth);

// One entry inside a directory being emptied.
Result<void> remove_child(int dir_fd, const std::string& name, const std::string& shown, dev_t dev,
                          int depth) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return os_error("inspect", shown, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT)
      return os_error("remove", shown, errno);
    return {};
  }
  if (is_mount_point(dir_fd, name, dev)) return refused(shown, "it is a mount point");
  return remove_tree(dir_fd, name, shown, dev, depth + 1);
}

Result<void> remove_tree(int parent_fd, const std::string& name, const std::string& shown,
                         dev_t dev, int depth) {
  if (depth > kMaxDepth)
    return refused(shown, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
  UniqueFd dir(::openat(parent_fd, name.c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!dir) {
    if (errno == ENOENT) return {};
    if (errno == ELOOP || errno == ENOTDIR) {  // swapped for a symlink or file meanwhile
      if (::unlinkat(parent_fd, name.c_str(), 0) == 0 || errno == ENOENT) return {};
    }
    return os_error("open the directory", shown, errno);
  }
  struct stat st {};
  if (::fstat(dir.get(), &st) != 0) return os_error("inspect", shown, errno);
  if (st.st_dev != dev) return refused(shown, "it is on another file system");
  for (const auto& child : entry_names(dir.get())) {
    auto removed = remove_child(dir.get(), child, shown + "/" + child, dev, depth);
    if (!removed) return removed;
  }
  if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    return os_error("remove", shown, errno);
  return {};
}

}  // namespace

Result<void> remove_entry(const ParentDir& parent, bool recursive) {
  if (parent.name.empty()) return refused("/", "it is the root directory");
  if (!parent.fd) return {};  // a directory on the way is missing: nothing to remove
  auto st = stat_final(parent);
  if (!st) return st.error();
  mode_t type = st->st_mode & S_IFMT;
  if (type == 0) return {};
  if (type != S_IFDIR) {
    if (::unlinkat(parent.fd.get(), parent.name.c_str(), 0) != 0 && errno != ENOENT)
      return os_error("remove", parent.path(), errno);
    return {};
  }
  struct stat dir_st {};
  if (::fstat(parent.fd.get(), &dir_st) != 0) return os_error("inspect", parent.dir_path, errno);
  if (is_mount_point(parent.fd.get(), parent.name, dir_st.st_dev))
    return refused(parent.path(), "it is a mount point");
  if (!recursive) {
    if (::unlinkat(parent.fd.get(), parent.name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
      return os_error("remove", parent.path(), errno);
    return {};
  }
  return remove_tree(parent.fd.get(), parent.name, parent.path(), dir_st.st_dev, 0);
}

}  // namespace taskd::tasks
