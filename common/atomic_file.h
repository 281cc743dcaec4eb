// Crash-safe replacement of a small file: write a temp file (PATH.tmp.PID) in the same
// directory, fsync it, rename it over the target, fsync the directory. A crash at any moment
// leaves the old or the new content, never a torn file; a success means the new content is
// durable. Failures carry data.errno ("ENOSPC", "EMFILE").
#pragma once

#include "common/error.h"

#include <string>
#include <string_view>

namespace taskd {

Result<void> write_file_atomically(const std::string& path, std::string_view content,
                                   unsigned mode = 0600);
Result<std::string> read_whole_file(const std::string& path);

// Removes the PATH.tmp.* files a crash left beside PATH; returns how many.
int remove_stale_temp_files(const std::string& path);

// mkdir -p whose new directories are durable: each parent of a created directory is fsynced.
Result<void> create_directories_durably(const std::string& path, unsigned mode = 0700);

}  // namespace taskd
