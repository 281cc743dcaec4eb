// Going to the background without losing start-up errors: the parent waits until the child is
// listening (a newline on a pipe) and exits 0, or exits with the child's status if it failed.
#pragma once

namespace taskd {

// Returns in the child with `parent_pipe_fd` set to the pipe's write end; never returns in the
// parent.
void daemonize(int& parent_pipe_fd);
// After readiness: stdin, stdout and stderr to /dev/null.
void detach_stdio();

}  // namespace taskd
