// The data directory (tasks, sessions, logs): created 0700 when missing, and only what taskd
// created is chmodded; refused when anyone but taskd's user could change what is in it (owned by
// another user, or writable by group or others: they could plant task state or symlinks that
// taskd, as root, would act on); locked with flock on DATA_DIR/.lock so that two daemons never
// share it (one would delete the other's tasks). The lock lives as long as the returned fd.
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <string>

namespace taskd {

// Errors: kInvalidConfig for a directory taskd must not use, kAlreadyExists when another taskd
// holds the lock, kIo for anything else. Messages name the path and what to do.
Result<UniqueFd> claim_data_dir(const std::string& path);

}  // namespace taskd
