// Ctrl-C while following output (tail -f, events): the handler only sets a flag and, installed
// without SA_RESTART, makes the blocking poll return, so the command can end cleanly.
#pragma once

namespace taskd::ctl {

// Installs the SIGINT handler for the duration of a follow; restores the previous one after.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

bool interrupted();

// Sleeps up to `milliseconds` unless interrupted first.
void sleep_unless_interrupted(int milliseconds);

}  // namespace taskd::ctl
