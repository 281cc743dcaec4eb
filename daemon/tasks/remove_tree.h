// Removal for `remove` setup steps: never `/`, never a mount point, never across a file-system
// boundary, and never through a symlink (every level is opened with O_NOFOLLOW relative to its
// parent's fd, so a symlink planted inside the tree is removed, not followed).
#pragma once

#include "common/error.h"
#include "daemon/tasks/safe_walk.h"

namespace taskd::tasks {

// Removes PARENT/NAME: a file or an empty directory, or with `recursive` a whole tree. A missing
// path is not an error.
Result<void> remove_entry(const ParentDir& parent, bool recursive);

}  // namespace taskd::tasks
