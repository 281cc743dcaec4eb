#include "daemon/tasks/path_policy.h"

#include <cctype>

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

bool is_valid_task_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || !std::isalnum(static_cast<unsigned char>(id[0])))
    return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  }
  return true;
}

}  // namespace taskd::tasks
