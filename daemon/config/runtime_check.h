// Checks of a loaded config against this machine that a pure parse cannot do: users exist and
// taskd may switch to them. Run at start and on reload, so a program that could never start is
// a config error with file:line rather than a FATAL process later.
#pragma once

#include "daemon/config/config.h"

namespace taskd {

Result<void> check_runtime(const Config& config);

}  // namespace taskd
