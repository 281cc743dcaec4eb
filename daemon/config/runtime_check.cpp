#include "daemon/config/runtime_check.h"

#include "common/ids.h"

#include <unistd.h>

namespace taskd {

namespace {

// `where` is the "file:line: key: " prefix of the error.
Result<void> check_user(const std::string& where, const std::string& user) {
  auto account = find_account(user);  // as the spawn will: a name, else a strict number
  if (!account) return make_error(ErrorCode::kInvalidConfig, where + "no such user '" + user + "'");
  if (::geteuid() != 0 && account->uid != ::geteuid()) {
    return make_error(ErrorCode::kInvalidConfig,
                      where + "running as user '" + user +
                          "' needs taskd to run as root (it runs as uid " +
                          std::to_string(::geteuid()) + ")");
  }
  return {};
}

}  // namespace

Result<void> check_runtime(const Config& config) {
  for (const auto& program : config.programs) {
    if (program.user.empty()) continue;
    std::string where =
        config.path + ":" + std::to_string(program.line) + ": programs." + program.name + ".user: ";
    if (auto checked = check_user(where, program.user); !checked) return checked;
  }
  if (!config.sessions.user.empty()) {
    if (auto checked = check_user(config.path + ": sessions.user: ", config.sessions.user);
        !checked)
      return checked;
  }
  return {};
}

}  // namespace taskd
