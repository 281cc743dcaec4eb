// Opening a log file that taskd writes as root, so that whoever can write its directory cannot
// steer the write: a symlink as the last component is never followed (O_NOFOLLOW), a FIFO or a
// device neither blocks the open nor receives the log (O_NONBLOCK, then regular files only), and
// a hard link to some other file is refused (st_nlink must be 1). New files get mode 0640.
// The directories above the file are trusted: keep log paths out of directories the agent can
// write (docs/config.md).
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <sys/types.h>

#include <string>

namespace taskd {

inline constexpr mode_t kLogFileMode = 0640;

// Opens (creating if missing) for writing, O_APPEND when `append`. kIo errors say why, e.g.
// "refusing to open log file /x/out.log: it is a symbolic link".
Result<UniqueFd> open_log_file(const std::string& path, bool append);

// Truncates the log file at `path` to zero bytes through the same checks (never a symlink).
// A missing file is not an error.
Result<void> truncate_log_file(const std::string& path);

}  // namespace taskd
