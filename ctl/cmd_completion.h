// The hidden `taskctl __complete LINE` entry point used by the bash and zsh completion scripts.
#pragma once

#include "ctl/commands.h"

#include <cstdio>

namespace taskd::ctl {

// args: the words after `__complete` (exactly one: the command line up to the cursor, starting
// with the program name). Prints one candidate per line; exit 0, or 2 for bad usage.
int run_complete_request(const Args& args, std::FILE* out);

}  // namespace taskd::ctl
