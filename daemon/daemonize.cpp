#include "daemon/daemonize.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace taskd {

void daemonize(int& parent_pipe_fd) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "taskd: failed to create pipe: %s\n", std::strerror(errno));
    std::exit(1);
  }
  pid_t child = ::fork();
  if (child < 0) {
    std::fprintf(stderr, "taskd: failed to fork: %s\n", std::strerror(errno));
    std::exit(1);
  }
  if (child == 0) {
    ::close(pipe_fds[0]);
    ::setsid();
    parent_pipe_fd = pipe_fds[1];
    return;
  }
  ::close(pipe_fds[1]);
  char byte = 0;
  ssize_t n;
  do {
    n = ::read(pipe_fds[0], &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n == 1) std::_Exit(0);  // the child is listening
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  std::_Exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

void detach_stdio() {
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) return;
  for (int fd = 0; fd <= 2; ++fd) ::dup2(null_fd, fd);
  if (null_fd > 2) ::close(null_fd);
}

}  // namespace taskd
