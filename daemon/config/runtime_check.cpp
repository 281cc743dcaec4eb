#include "daemon/config/runtime_check.h"

#include <pwd.h>
#include <unistd.h>

#include <vector>

namespace taskd {

namespace {

// `where` is the "file:line: key: " prefix of the error.
Result<void> check_user(const std::string& where, const std::string& user) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  ::getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (!found) return make_error(ErrorCode::kInvalidConfig, where + "no such user '" + user + "'");
  if (::geteuid() != 0 && found->pw_uid != ::geteuid()) {
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
