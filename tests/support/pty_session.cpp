#include "tests/support/pty_session.h"

#include "tests/support/process.h"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace taskd::test {

PtySession::PtySession(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& env) {
  winsize size{};
  size.ws_row = 50;
  size.ws_col = 200;
  pid_ = ::forkpty(&master_, nullptr, nullptr, &size);
  if (pid_ == 0) {
    exec_in_child(argv, env);
  }
}

PtySession::~PtySession() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (master_ >= 0) ::close(master_);
}

void PtySession::send(std::string_view keys) {
  while (!keys.empty()) {
    ssize_t n = ::write(master_, keys.data(), keys.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    keys.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool PtySession::pump(int timeout_ms) {
  pollfd pfd{master_, POLLIN, 0};
  if (::poll(&pfd, 1, timeout_ms) <= 0) return true;
  char buffer[4096];
  ssize_t n = ::read(master_, buffer, sizeof buffer);
  if (n <= 0) return n < 0 && errno == EINTR;  // EIO once the program closed the terminal
  output_.append(buffer, static_cast<std::size_t>(n));
  return true;
}

bool PtySession::expect(std::string_view text, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto found = output_.find(text, consumed_);
    if (found != std::string::npos) {
      std::size_t end = found + text.size();
      last_match_ = output_.substr(consumed_, end - consumed_);
      consumed_ = end;
      return true;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !pump(static_cast<int>(left.count()))) return false;
  }
}

bool PtySession::wait_for_raw_mode(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    termios mode{};
    if (::tcgetattr(master_, &mode) == 0 && !(mode.c_lflag & ICANON)) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    pump(2);  // keeps the program from blocking on a full terminal while we wait
  }
}

int PtySession::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (pid_ > 0) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) return -1;
    if (!pump(20)) ::poll(nullptr, 0, 5);  // terminal closed: only the exit is left to see
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string PtySession::debug_state() const {
  std::ostringstream out;
  for (const char* f : {"wchan", "syscall", "status", "stack"}) {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/" + f);
    out << "--- " << f << "\n" << in.rdbuf() << "\n";
  }
  return out.str();
}

}  // namespace taskd::test
