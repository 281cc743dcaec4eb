#include "daemon/init/link_protections.h"

#include "common/unique_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace taskd::init {
namespace {

constexpr Sysctl kLinkProtections[] = {
    {"fs/protected_symlinks", "1"},
    {"fs/protected_hardlinks", "1"},
    {"fs/protected_regular", "2"},
    {"fs/protected_fifos", "2"},
};

std::string dotted(const char* path) {
  std::string name = path;
  for (char& c : name) c = c == '/' ? '.' : c;
  return name;
}

// "" when written.
std::string write_one(const std::string& proc_sys, const Sysctl& sysctl) {
  std::string path = proc_sys + "/" + sysctl.path;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return std::strerror(errno);
  std::string text = std::string(sysctl.value) + "\n";
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return std::strerror(errno);
  }
  return "";
}

}  // namespace

std::span<const Sysctl> link_protections() { return kLinkProtections; }

std::vector<std::string> write_sysctls(const std::string& proc_sys,
                                       std::span<const Sysctl> sysctls) {
  std::vector<std::string> failures;
  for (const Sysctl& sysctl : sysctls) {
    std::string why = write_one(proc_sys, sysctl);
    if (!why.empty()) failures.push_back(dotted(sysctl.path) + ": " + why);
  }
  return failures;
}

bool sets_link_protections(bool pid1, bool initial_pid_namespace) {
  return pid1 && initial_pid_namespace;
}

}  // namespace taskd::init
