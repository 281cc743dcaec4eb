// Crash-safe replacement of a small file: write a temp file in the same directory, fsync it,
// rename it over the target, fsync the directory. A crash at any moment leaves the old or the
// new content, never a torn file.
#pragma once

#include "common/error.h"

#include <string>
#include <string_view>

namespace taskd {

Result<void> write_file_atomically(const std::string& path, std::string_view content,
                                   unsigned mode = 0600);
Result<std::string> read_whole_file(const std::string& path);

}  // namespace taskd
