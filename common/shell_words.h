// Splits a command string into words the way a POSIX shell does for quoting and backslashes,
// without running a shell and without expansions ($VAR, globs and ~ stay literal).
#pragma once

#include "common/error.h"

#include <string>
#include <string_view>
#include <vector>

namespace taskd {

Result<std::vector<std::string>> split_shell_words(std::string_view text);

}  // namespace taskd
