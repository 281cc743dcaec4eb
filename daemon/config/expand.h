// supervisord-style %(name)s substitution in commands and log paths: %(process_num)d with
// optional zero-padding width (%(process_num)02d), %(program_name)s, %(group_name)s, and %%.
#pragma once

#include "common/error.h"

#include <string>
#include <string_view>

namespace taskd {

struct ExpandVars {
  int process_num = 0;
  std::string_view program_name;
};

Result<std::string> expand_vars(std::string_view text, const ExpandVars& vars);

}  // namespace taskd
