#include "ctl/interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

namespace taskd::ctl {
namespace {

volatile sig_atomic_t g_interrupted = 0;
// Created once and kept for the process: a handler may run at any time, so the fds never change.
int g_pipe[2] = {-1, -1};

void on_sigint(int) {
  int saved = errno;
  g_interrupted = 1;
  if (g_pipe[1] >= 0) {
    char byte = 1;
    [[maybe_unused]] auto n = ::write(g_pipe[1], &byte, 1);  // full pipe: already readable
  }
  errno = saved;
}

void ensure_pipe() {
  if (g_pipe[0] >= 0) return;
  if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) g_pipe[0] = g_pipe[1] = -1;
}

struct sigaction install() {
  struct sigaction action {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
  struct sigaction previous {};
  ::sigaction(SIGINT, &action, &previous);
  return previous;
}

int g_depth = 0;  // open scopes; interrupt_fd() is only meaningful inside one

}  // namespace

InterruptScope::InterruptScope() {
  ensure_pipe();
  // An outer scope (the shell) already owns Ctrl-C: one pressed just before this scope opened
  // belongs to the command that opens it and must not be forgotten.
  if (g_depth == 0) clear_interrupt();
  previous_ = install();
  ++g_depth;
}

InterruptScope::~InterruptScope() {
  --g_depth;
  ::sigaction(SIGINT, &previous_, nullptr);
}

bool interrupted() { return g_interrupted != 0; }

void clear_interrupt() {
  g_interrupted = 0;
  if (g_pipe[0] < 0) return;
  char buffer[64];
  while (::read(g_pipe[0], buffer, sizeof buffer) > 0) {
  }
}

int interrupt_fd() { return g_depth > 0 ? g_pipe[0] : -1; }

void sleep_unless_interrupted(int milliseconds) {
  if (g_interrupted) return;
  pollfd pfd{interrupt_fd(), POLLIN, 0};
  ::poll(&pfd, pfd.fd >= 0 ? 1 : 0, milliseconds);
}

}  // namespace taskd::ctl
