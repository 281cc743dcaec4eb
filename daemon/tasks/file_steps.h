// The file-system setup steps (write, mkdir, chmod, chown, symlink, remove), done with *at system
// calls on directory fds (safe_walk.h: no symlink is followed unless the step opts in), so each
// failure names the step's path and the errno. Steps may block on the file system: callers run
// them off the event loop (BlockingPool).
#pragma once

#include "common/error.h"
#include "common/task_spec.h"

namespace taskd::tasks {

// Everything but `run` steps. The path has been checked by check_setup_path(). Thread-safe.
Result<void> apply_file_step(const SetupStep& step);

// "write", "mkdir", ..., "run": the names the wire uses, for messages.
std::string_view step_kind_name(SetupStep::Kind kind);

}  // namespace taskd::tasks
