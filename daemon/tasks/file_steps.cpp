#include "daemon/tasks/file_steps.h"

#include "common/ids.h"
#include "common/unique_fd.h"
#include "daemon/tasks/remove_tree.h"
#include "daemon/tasks/safe_walk.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace taskd::tasks {
namespace {

constexpr int kTempAttempts = 16;

struct Owner {
  uid_t uid = static_cast<uid_t>(-1);  // -1: leave as it is
  gid_t gid = static_cast<gid_t>(-1);
};

// "user", "user:group" or ":group"; names first, then strict numeric ids.
Result<Owner> resolve_owner(const std::string& text) {
  Owner owner;
  std::size_t colon = text.find(':');
  std::string user = text.substr(0, colon);
  std::string group = colon == std::string::npos ? "" : text.substr(colon + 1);
  if (!user.empty()) {
    auto id = resolve_user_id(user);
    if (!id) return id.error();
    owner.uid = id->uid;
    if (colon == std::string::npos && id->primary_gid) owner.gid = *id->primary_gid;
  }
  if (!group.empty()) {
    auto id = resolve_group_id(group);
    if (!id) return id.error();
    owner.gid = *id;
  }
  return owner;
}

// fchown before fchmod: a chown clears setuid/setgid bits, so the mode must come last.
Result<void> set_owner_and_mode(int fd, const std::string& path, const std::string& owner_text,
                                std::optional<mode_t> mode) {
  if (!owner_text.empty()) {
    auto owner = resolve_owner(owner_text);
    if (!owner) return owner.error();
    if (::fchown(fd, owner->uid, owner->gid) != 0)
      return os_error("change the owner of", path, errno);
  }
  if (mode && ::fchmod(fd, *mode) != 0) return os_error("set the mode of", path, errno);
  return {};
}

WalkOptions walk_options(const SetupStep& step, bool make_parents) {
  WalkOptions options;
  options.follow_symlinks = step.follow_symlinks;
  options.make_parents = make_parents;
  return options;
}

// The directory and name the step is about, with a final symlink followed when opted in.
Result<ParentDir> resolve(const SetupStep& step, bool make_parents, bool follow_final) {
  WalkOptions options = walk_options(step, make_parents);
  auto parent = open_parent(step.path, options);
  if (!parent) return parent.error();
  if (follow_final) {
    if (auto followed = follow_final_symlinks(*parent, options); !followed) return followed.error();
  }
  return parent;
}

struct TempFile {
  UniqueFd fd;
  std::string name;
};

// A new 0600 file beside the target, so nothing else can open it before its mode is final.
Result<TempFile> create_temp(const ParentDir& parent) {
  for (int attempt = 0; attempt < kTempAttempts; ++attempt) {
    unsigned long long random = 0;
    if (::getrandom(&random, sizeof random, GRND_NONBLOCK) != sizeof random)
      random = static_cast<unsigned long long>(::getpid()) * 7919 + attempt;
    char name[64];
    std::snprintf(name, sizeof name, ".taskd-write.%016llx", random);
    UniqueFd fd(::openat(parent.fd.get(), name,
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd) return TempFile{std::move(fd), name};
    if (errno != EEXIST) return os_error("create a temporary file in", parent.dir_path, errno);
  }
  return os_error("create a temporary file in", parent.dir_path, EEXIST);
}

Result<void> write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return os_error("write", path, errno);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// The target is replaced by a new inode (temp file, then renameat): an fd opened on the old file
// keeps seeing the old content, and the new one never has any mode but 0600 or the final one.
Result<void> write_file(const SetupStep& step) {
  auto parent = resolve(step, step.parents, true);
  if (!parent) return parent.error();
  if (parent->name.empty()) return os_error("write", "/", EISDIR);
  auto existing = stat_final(*parent);
  if (!existing) return existing.error();
  mode_t type = existing->st_mode & S_IFMT;
  if (type == S_IFLNK) return refused_symlink(parent->path());
  if (type != 0 && type != S_IFREG) {
    return make_error(ErrorCode::kPermissionDenied,
                      parent->path() + " exists and is not a regular file; refusing to replace it");
  }
  auto temp = create_temp(*parent);
  if (!temp) return temp.error();
  auto written = write_all(temp->fd.get(), step.content, parent->path());
  if (written)
    written =
        set_owner_and_mode(temp->fd.get(), parent->path(), step.owner, step.mode.value_or(0644));
  if (written && ::renameat(parent->fd.get(), temp->name.c_str(), parent->fd.get(),
                            parent->name.c_str()) != 0) {
    written = os_error("replace", parent->path(), errno);
  }
  if (!written) ::unlinkat(parent->fd.get(), temp->name.c_str(), 0);
  return written;
}

Result<void> make_directory(const SetupStep& step) {
  auto parent = resolve(step, step.parents, true);
  if (!parent) return parent.error();
  if (!parent->name.empty() && ::mkdirat(parent->fd.get(), parent->name.c_str(), 0700) != 0 &&
      errno != EEXIST) {
    return os_error("create", parent->path(), errno);
  }
  auto dir = open_existing(*parent);
  if (!dir) return dir.error();
  struct stat st {};
  if (::fstat(dir->get(), &st) != 0 || !S_ISDIR(st.st_mode))
    return make_error(ErrorCode::kIo, parent->path() + " exists and is not a directory");
  return set_owner_and_mode(dir->get(), parent->path(), step.owner, step.mode.value_or(0755));
}

Result<void> change_mode(const SetupStep& step) {
  auto parent = resolve(step, false, true);
  if (!parent) return parent.error();
  auto fd = open_existing(*parent);
  if (!fd) return fd.error();
  return set_owner_and_mode(fd->get(), parent->path(), "", step.mode);
}

Result<void> change_owner(const SetupStep& step) {
  auto parent = resolve(step, false, true);
  if (!parent) return parent.error();
  auto fd = open_existing(*parent);
  if (!fd) return fd.error();
  return set_owner_and_mode(fd->get(), parent->path(), step.owner, std::nullopt);
}

// The link itself is created at PARENT/NAME; it is never followed here.
Result<void> make_symlink(const SetupStep& step) {
  auto parent = resolve(step, step.parents, false);
  if (!parent) return parent.error();
  if (parent->name.empty()) return os_error("create the symlink", "/", EEXIST);
  if (::symlinkat(step.target.c_str(), parent->fd.get(), parent->name.c_str()) != 0)
    return os_error("create the symlink", parent->path(), errno);
  return {};
}

Result<void> remove_path(const SetupStep& step) {
  WalkOptions options = walk_options(step, false);
  options.missing_ok = true;  // removing is idempotent
  auto parent = open_parent(step.path, options);
  if (!parent) return parent.error();
  return remove_entry(*parent, step.recursive);
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
