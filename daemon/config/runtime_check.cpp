#include "daemon/config/runtime_check.h"

#include <pwd.h>
#include <unistd.h>

#include <vector>

namespace taskd {

Result<void> check_runtime(const Config& config) {
  for (const auto& program : config.programs) {
    if (program.user.empty()) continue;
    std::string where =
        config.path + ":" + std::to_string(program.line) + ": programs." + program.name + ".user: ";
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* found = nullptr;
    ::getpwnam_r(program.user.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (!found)
      return make_error(ErrorCode::kInvalidConfig, where + "no such user '" + program.user + "'");
    if (::geteuid() != 0 && found->pw_uid != ::geteuid()) {
      return make_error(ErrorCode::kInvalidConfig,
                        where + "running as user '" + program.user +
                            "' needs taskd to run as root (it runs as uid " +
                            std::to_string(::geteuid()) + ")");
    }
  }
  return {};
}

}  // namespace taskd
