// Which paths a task's setup may touch: absolute, no ".." component, no NUL. Setup is
// privileged by design (it prepares the guest), so any absolute path is allowed; what is refused
// are the forms that usually mean an injection or a mistake.
#pragma once

#include "common/error.h"

#include <string_view>

namespace taskd::tasks {

Result<void> check_setup_path(std::string_view path);

}  // namespace taskd::tasks
