// Lines of commands, as typed in the shell or read from stdin (`printf 'status\n' | taskctl`):
// each line is split like a POSIX shell would (quotes, backslashes; no expansions) and run.
#pragma once

#include "ctl/commands.h"

#include <cstdio>
#include <string_view>

namespace taskd::ctl {

// Runs one line; blank lines and lines starting with '#' do nothing. Returns the exit code.
int run_line(Invocation& invocation, std::string_view line);

// Runs every line of `in` (no prompt, no colors) until EOF or exit/quit. Every command runs even
// after a failure; the result is the exit code of the last command that failed, 0 if none did.
int run_script(Invocation& invocation, std::FILE* in);

}  // namespace taskd::ctl
