#include "ctl/interrupt.h"

#include <poll.h>
#include <signal.h>

#include <atomic>

namespace taskd::ctl {
namespace {

volatile sig_atomic_t g_interrupted = 0;
struct sigaction g_previous {};

void on_sigint(int) { g_interrupted = 1; }

}  // namespace

InterruptScope::InterruptScope() {
  g_interrupted = 0;
  struct sigaction action {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
  ::sigaction(SIGINT, &action, &g_previous);
}

InterruptScope::~InterruptScope() { ::sigaction(SIGINT, &g_previous, nullptr); }

bool interrupted() { return g_interrupted != 0; }

void sleep_unless_interrupted(int milliseconds) {
  if (!g_interrupted) ::poll(nullptr, 0, milliseconds);
}

}  // namespace taskd::ctl
