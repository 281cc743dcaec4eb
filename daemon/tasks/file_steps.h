// The file-system setup steps (write, mkdir, chmod, chown, symlink, remove), done directly with
// system calls so each failure names the step's path and the errno text.
#pragma once

#include "common/error.h"
#include "daemon/tasks/task_spec.h"

namespace taskd::tasks {

// Everything but `run` steps. The path has been checked by check_setup_path().
Result<void> apply_file_step(const SetupStep& step);

}  // namespace taskd::tasks
