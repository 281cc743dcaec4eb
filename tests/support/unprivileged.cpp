#include "tests/support/unprivileged.h"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <thread>

namespace taskd::test {
Unprivileged nobody() {
  Unprivileged who;
  if (const passwd* entry = ::getpwnam("nobody")) {
    who.uid = entry->pw_uid;
    who.gid = entry->pw_gid;
  }
  return who;
}

bool can_drop_to_nobody() { return ::geteuid() == 0; }

int run_as_nobody(const std::function<int()>& body, std::chrono::milliseconds timeout) {
  Unprivileged who = nobody();
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    try {
      if (::setgroups(0, nullptr) != 0 || ::setgid(who.gid) != 0 || ::setuid(who.uid) != 0) {
        ::_exit(126);
      }
      if (::setuid(0) == 0) ::_exit(126);  // the drop must be irreversible
      ::_exit(body() & 0xff);
    } catch (...) {
      ::_exit(125);
    }
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

RunResult run_process_as_nobody(const std::vector<std::string>& argv, const std::string& input,
                                std::chrono::milliseconds timeout) {
  Unprivileged who = nobody();
  // setpriv is in util-linux (always on Debian): exec the command with every privilege dropped.
  std::vector<std::string> wrapped = {"/usr/bin/setpriv", "--reuid=" + std::to_string(who.uid),
                                      "--regid=" + std::to_string(who.gid), "--clear-groups", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return run_process(wrapped, input, timeout);
}

std::string attacker_dir(const std::string& parent, const std::string& name) {
  Unprivileged who = nobody();
  struct stat st {};
  if (::stat(parent.c_str(), &st) == 0) ::chmod(parent.c_str(), (st.st_mode & 07777) | 0711);
  std::string path = parent + "/" + name;
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    throw std::runtime_error("mkdir failed: " + path);
  }
  if (::chown(path.c_str(), who.uid, who.gid) != 0) throw std::runtime_error("chown failed");
  return path;
}

}  // namespace taskd::test
