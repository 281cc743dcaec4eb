// Ctrl-C handling for taskctl. The SIGINT handler only sets a flag and writes a byte to a
// self-pipe: installed without SA_RESTART it makes a blocking poll or read return EINTR, and the
// pipe lets a poll loop (the line editor, a follow) wait for Ctrl-C without a race.
#pragma once

#include <signal.h>

namespace taskd::ctl {

// Installs the SIGINT handler for its lifetime; restores the previous disposition after. Scopes
// nest: the shell holds one for the whole session (and clears pending interrupts between
// commands) and a follow command holds another while it runs; only the outermost scope starts
// by clearing a pending interrupt.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction previous_ {};
};

bool interrupted();
// Forgets a pending Ctrl-C (flag and pipe).
void clear_interrupt();
// Readable while a Ctrl-C is pending; -1 outside any InterruptScope.
int interrupt_fd();

// Sleeps up to `milliseconds` unless interrupted first.
void sleep_unless_interrupted(int milliseconds);

}  // namespace taskd::ctl
