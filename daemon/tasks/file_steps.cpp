#include "daemon/tasks/file_steps.h"

#include "common/unique_fd.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace taskd::tasks {
namespace {

Error failed(const std::string& what, const std::string& path, int err = errno) {
  return make_error(ErrorCode::kIo, what + " " + path + ": " + std::strerror(err));
}

struct Owner {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
};

Result<Owner> resolve_owner(const std::string& text) {
  Owner owner;
  std::string user = text.substr(0, text.find(':'));
  std::string group = text.find(':') == std::string::npos ? "" : text.substr(text.find(':') + 1);
  std::vector<char> buffer(16384);
  if (!user.empty()) {
    passwd entry{};
    passwd* found = nullptr;
    ::getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (found) {
      owner.uid = found->pw_uid;
      if (group.empty()) owner.gid = found->pw_gid;
    } else if (!user.empty() && user.find_first_not_of("0123456789") == std::string::npos) {
      owner.uid = static_cast<uid_t>(std::stoul(user));
    } else {
      return make_error(ErrorCode::kInvalidParams, "no such user '" + user + "'");
    }
  }
  if (!group.empty()) {
    struct group entry {};
    struct group* found = nullptr;
    ::getgrnam_r(group.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (found) {
      owner.gid = found->gr_gid;
    } else if (group.find_first_not_of("0123456789") == std::string::npos) {
      owner.gid = static_cast<gid_t>(std::stoul(group));
    } else {
      return make_error(ErrorCode::kInvalidParams, "no such group '" + group + "'");
    }
  }
  return owner;
}

// Refuses a symlink at any component of `path` (the whole path when `final_too`).
Result<void> refuse_symlinks(const std::string& path, bool final_too) {
  std::string prefix;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    prefix = path.substr(0, end);
    bool last = end == path.size();
    struct stat st {};
    if ((!last || final_too) && ::lstat(prefix.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      return make_error(ErrorCode::kPermissionDenied,
                        "refusing to follow the symlink " + prefix + " (no_follow)");
    }
    start = end + 1;
  }
  return {};
}

Result<void> make_parents(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec)
    return make_error(ErrorCode::kIo,
                      "failed to create the parent directories of " + path + ": " + ec.message());
  return {};
}

// open(2) that, with no_follow, resolves no symlink at all (openat2 RESOLVE_NO_SYMLINKS).
Result<UniqueFd> open_for_write(const std::string& path, bool no_follow, mode_t mode) {
  int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  if (no_follow) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_NOFOLLOW);
    how.mode = mode;
    how.resolve = RESOLVE_NO_SYMLINKS;
    long fd = ::syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno == ELOOP) {
      return make_error(ErrorCode::kPermissionDenied,
                        "refusing to write " + path + " through a symlink (no_follow)");
    }
    if (errno != ENOSYS) return failed("failed to open", path);
    if (auto ok = refuse_symlinks(path, true); !ok) return ok.error();
    flags |= O_NOFOLLOW;
  }
  UniqueFd fd(::open(path.c_str(), flags, mode));
  if (!fd) return failed("failed to open", path);
  return fd;
}

Result<void> apply_owner(const SetupStep& step, int fd) {
  if (step.owner.empty()) return {};
  auto owner = resolve_owner(step.owner);
  if (!owner) return owner.error();
  int rc = fd >= 0 ? ::fchown(fd, owner->uid, owner->gid)
                   : (step.no_follow ? ::lchown(step.path.c_str(), owner->uid, owner->gid)
                                     : ::chown(step.path.c_str(), owner->uid, owner->gid));
  if (rc != 0) return failed("failed to change the owner of", step.path);
  return {};
}

Result<void> write_file(const SetupStep& step) {
  if (step.parents) {
    if (step.no_follow) {
      if (auto ok = refuse_symlinks(step.path, false); !ok) return ok;
    }
    if (auto ok = make_parents(step.path); !ok) return ok;
  }
  mode_t mode = step.mode.value_or(0644);
  auto fd = open_for_write(step.path, step.no_follow, mode);
  if (!fd) return fd.error();
  std::string_view data = step.content;
  while (!data.empty()) {
    ssize_t n = ::write(fd->get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failed("failed to write", step.path);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fchmod(fd->get(), mode) != 0)
    return failed("failed to set the mode of", step.path);  // not the umask's
  return apply_owner(step, fd->get());
}

Result<void> make_directory(const SetupStep& step) {
  if (step.no_follow) {
    if (auto ok = refuse_symlinks(step.path, true); !ok) return ok;
  }
  std::error_code ec;
  if (step.parents) {
    std::filesystem::create_directories(step.path, ec);
  } else if (::mkdir(step.path.c_str(), 0755) != 0 && errno != EEXIST) {
    return failed("failed to create", step.path);
  }
  if (ec) return make_error(ErrorCode::kIo, "failed to create " + step.path + ": " + ec.message());
  struct stat st {};
  if (::lstat(step.path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error(ErrorCode::kIo, step.path + " exists and is not a directory");
  }
  if (::chmod(step.path.c_str(), step.mode.value_or(0755)) != 0)
    return failed("failed to set the mode of", step.path);
  return apply_owner(step, -1);
}

Result<void> change_mode(const SetupStep& step) {
  if (step.no_follow) {
    if (auto ok = refuse_symlinks(step.path, true); !ok) return ok;
  }
  if (::chmod(step.path.c_str(), *step.mode) != 0)
    return failed("failed to change the mode of", step.path);
  return {};
}

Result<void> change_owner(const SetupStep& step) {
  if (step.no_follow) {
    if (auto ok = refuse_symlinks(step.path, false); !ok) return ok;
  }
  return apply_owner(step, -1);
}

Result<void> make_symlink(const SetupStep& step) {
  if (step.parents) {
    if (auto ok = make_parents(step.path); !ok) return ok;
  }
  if (::symlink(step.target.c_str(), step.path.c_str()) != 0)
    return failed("failed to create the symlink", step.path);
  return {};
}

Result<void> remove_path(const SetupStep& step) {
  if (step.no_follow) {
    if (auto ok = refuse_symlinks(step.path, false); !ok) return ok;
  }
  std::error_code ec;
  if (step.recursive) {
    std::filesystem::remove_all(step.path, ec);  // does not follow symlinks inside the tree
  } else {
    std::filesystem::remove(step.path, ec);  // a missing path is fine: removing is idempotent
  }
  if (ec) return make_error(ErrorCode::kIo, "failed to remove " + step.path + ": " + ec.message());
  return {};
}

}  // namespace

Result<void> apply_file_step(const SetupStep& step) {
  switch (step.kind) {
    case SetupStep::Kind::kWrite: return write_file(step);
    case SetupStep::Kind::kMkdir: return make_directory(step);
    case SetupStep::Kind::kChmod: return change_mode(step);
    case SetupStep::Kind::kChown: return change_owner(step);
    case SetupStep::Kind::kSymlink: return make_symlink(step);
    case SetupStep::Kind::kRemove: return remove_path(step);
    case SetupStep::Kind::kRun: break;
  }
  return make_error(ErrorCode::kInternal, "run steps are not file steps");
}

std::string_view step_kind_name(SetupStep::Kind kind) {
  switch (kind) {
    case SetupStep::Kind::kWrite: return "write";
    case SetupStep::Kind::kMkdir: return "mkdir";
    case SetupStep::Kind::kChmod: return "chmod";
    case SetupStep::Kind::kChown: return "chown";
    case SetupStep::Kind::kSymlink: return "symlink";
    case SetupStep::Kind::kRemove: return "remove";
    case SetupStep::Kind::kRun: return "run";
  }
  return "?";
}

}  // namespace taskd::tasks
