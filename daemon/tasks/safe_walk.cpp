#include "daemon/tasks/safe_walk.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

namespace taskd::tasks {
namespace {

constexpr int kMaxSymlinkHops = 40;  // the kernel's own limit (MAXSYMLINKS)
constexpr mode_t kParentMode = 0755;

// "/a//b/./c/" → {"a", "b", "c"}. ".." is refused earlier by check_setup_path.
std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    start = end + 1;
  }
  return parts;
}

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

bool is_symlink_at(int dir_fd, const std::string& name) {
  struct stat st {};
  return ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

// One directory component below `dir_fd`, as an O_PATH fd; -1 with errno on failure.
int open_directory_at(int dir_fd, const std::string& name, bool follow) {
  open_how how{};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_MAGICLINKS | (follow ? 0 : RESOLVE_NO_SYMLINKS);
  long fd = ::syscall(SYS_openat2, dir_fd, name.c_str(), &how, sizeof how);
  if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
  // Kernels before 5.6: one component at a time with O_NOFOLLOW is just as strict.
  return ::openat(dir_fd, name.c_str(),
                  O_PATH | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
}

// Creates `name` as a directory with exactly kParentMode (not the umask's); EEXIST is fine.
Result<void> make_directory_at(int dir_fd, const std::string& name, const std::string& shown) {
  if (::mkdirat(dir_fd, name.c_str(), 0700) != 0) {
    if (errno == EEXIST) return {};
    return os_error("create the directory", shown, errno);
  }
  UniqueFd created(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!created || ::fchmod(created.get(), kParentMode) != 0)
    return os_error("set the mode of", shown, errno);
  return {};
}

}  // namespace

Error refused_symlink(const std::string& path) {
  return make_error(ErrorCode::kPermissionDenied,
                    "refusing to follow the symlink " + path +
                        " (symlinks are followed only with follow_symlinks: true)")
      .with("errno", "ELOOP");
}

Error os_error(const std::string& what, const std::string& path, int err) {
  const char* name = ::strerrorname_np(err);
  return make_error(ErrorCode::kIo, "failed to " + what + " " + path + ": " + std::strerror(err))
      .with("errno", name ? name : std::to_string(err));
}

Result<ParentDir> open_parent(const std::string& path, const WalkOptions& options) {
  std::vector<std::string> parts = components(path);
  ParentDir parent;
  parent.dir_path = "/";
  parent.fd = UniqueFd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!parent.fd) return os_error("open", "/", errno);
  if (parts.empty()) return parent;
  parent.name = parts.back();
  parts.pop_back();
  for (const auto& part : parts) {
    std::string shown = join(parent.dir_path, part);
    int fd = open_directory_at(parent.fd.get(), part, options.follow_symlinks);
    if (fd < 0 && errno == ENOENT && options.make_parents) {
      if (auto made = make_directory_at(parent.fd.get(), part, shown); !made) return made.error();
      fd = open_directory_at(parent.fd.get(), part, options.follow_symlinks);
    }
    if (fd < 0) {
      int err = errno;
      if (err == ENOENT && options.missing_ok) {
        parent.fd.reset();
        return parent;
      }
      if ((err == ELOOP || err == ENOTDIR) && !options.follow_symlinks &&
          is_symlink_at(parent.fd.get(), part)) {
        return refused_symlink(shown);
      }
      return os_error("open the directory", shown, err);
    }
    parent.fd = UniqueFd(fd);
    parent.dir_path = shown;
  }
  return parent;
}

Result<void> follow_final_symlinks(ParentDir& parent, const WalkOptions& options) {
  if (!options.follow_symlinks) return {};
  for (int hops = 0; parent.fd && !parent.name.empty(); ++hops) {
    if (!is_symlink_at(parent.fd.get(), parent.name)) return {};
    if (hops == kMaxSymlinkHops) return os_error("resolve", parent.path(), ELOOP);
    char target[PATH_MAX];
    ssize_t n = ::readlinkat(parent.fd.get(), parent.name.c_str(), target, sizeof target - 1);
    if (n < 0) return os_error("read the symlink", parent.path(), errno);
    std::string next(target, static_cast<std::size_t>(n));
    if (next.empty()) return os_error("resolve", parent.path(), ENOENT);
    if (next.front() != '/') next = join(parent.dir_path, next);
    auto walked = open_parent(next, options);
    if (!walked) return walked.error();
    parent = std::move(*walked);
  }
  return {};
}

Result<struct stat> stat_final(const ParentDir& parent) {
  struct stat st {};
  const char* name = parent.name.empty() ? "." : parent.name.c_str();
  if (::fstatat(parent.fd.get(), name, &st, AT_SYMLINK_NOFOLLOW) == 0) return st;
  if (errno != ENOENT) return os_error("inspect", parent.path(), errno);
  st = {};
  return st;
}

Result<UniqueFd> open_existing(const ParentDir& parent) {
  auto before = stat_final(parent);
  if (!before) return before.error();
  mode_t type = before->st_mode & S_IFMT;
  if (type == 0) return os_error("open", parent.path(), ENOENT);
  if (type == S_IFLNK) return refused_symlink(parent.path());
  auto not_plain = make_error(ErrorCode::kPermissionDenied,
                              parent.path() + " is not a regular file or directory; refusing it");
  if (type != S_IFREG && type != S_IFDIR) return not_plain;
  const char* name = parent.name.empty() ? "." : parent.name.c_str();
  UniqueFd fd(
      ::openat(parent.fd.get(), name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
  if (!fd) {
    if (errno == ELOOP) return refused_symlink(parent.path());
    return os_error("open", parent.path(), errno);
  }
  struct stat after {};
  if (::fstat(fd.get(), &after) != 0) return os_error("inspect", parent.path(), errno);
  if ((after.st_mode & S_IFMT) != S_IFREG && (after.st_mode & S_IFMT) != S_IFDIR) return not_plain;
  return fd;
}

}  // namespace taskd::tasks
