#include "daemon/tasks/path_policy.h"

namespace taskd::tasks {

Result<void> check_setup_path(std::string_view path) {
  auto refuse = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidParams,
                      "path '" + std::string(path) + "' " + std::string(why));
  };
  if (path.find('\0') != std::string_view::npos) return refuse("contains a NUL byte");
  if (path.empty() || path.front() != '/') return refuse("must be absolute");
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") return refuse("must not contain '..'");
    start = end + 1;
  }
  return {};
}

}  // namespace taskd::tasks
