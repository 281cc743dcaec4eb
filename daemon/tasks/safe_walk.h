// Walks a setup path one component at a time by directory fd, so that what a step acts on is
// exactly what the path names at the moment of the walk: by default no component may be a
// symlink (openat2 RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), and the step then acts on the
// parent directory fd (mkdirat, renameat, unlinkat, symlinkat) or on an fd of the file itself.
// A planted symlink under a directory the agent can write can therefore never redirect a
// privileged write, chmod, chown, mkdir or remove.
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <sys/stat.h>

#include <string>

namespace taskd::tasks {

struct WalkOptions {
  bool follow_symlinks = false;  // opt-in: symlinks in the path are followed (unsafe where the
                                 // agent can write)
  bool make_parents = false;     // create missing directories (mode 0755, owned by taskd)
  bool missing_ok = false;       // a missing directory is not an error: `parent` stays empty
};

// The directory that holds a path's last component, and that component.
struct ParentDir {
  UniqueFd fd;           // O_PATH directory fd; empty when missing_ok and a directory is missing
  std::string name;      // the last component; empty for "/"
  std::string dir_path;  // the directory's path as walked (for messages and relative links)
  std::string path() const { return dir_path == "/" ? "/" + name : dir_path + "/" + name; }
};

Result<ParentDir> open_parent(const std::string& path, const WalkOptions& options);

// With follow_symlinks: while the last component is a symlink, walks to what it points to (at
// most 40 links). Without it, leaves `parent` alone.
Result<void> follow_final_symlinks(ParentDir& parent, const WalkOptions& options);

// lstat of the last component; ENOENT gives a zeroed st_mode.
Result<struct stat> stat_final(const ParentDir& parent);

// Opens an existing regular file or directory (never a symlink, FIFO, socket or device) for
// fchmod/fchown: O_RDONLY | O_NONBLOCK | O_NOFOLLOW, type checked before and after the open.
Result<UniqueFd> open_existing(const ParentDir& parent);

// The error for a symlink that a step refused to follow.
Error refused_symlink(const std::string& path);
// "failed to <what> <path>: <strerror>", with data.errno ("ENOSPC").
Error os_error(const std::string& what, const std::string& path, int err);

}  // namespace taskd::tasks
