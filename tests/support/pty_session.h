// Drives a program on a pseudo-terminal as a person would (pexpect style): keys are written to
// the master side, and expect() waits with a deadline until some text appears in the output.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace taskd::test {

class PtySession {
 public:
  // Starts argv[0] with argv on a new 200x50 terminal, with `env` added to the environment.
  PtySession(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);
  ~PtySession();  // SIGKILLs and reaps the program if it still runs
  PtySession(const PtySession&) = delete;
  PtySession& operator=(const PtySession&) = delete;

  bool started() const { return pid_ > 0; }
  void send(std::string_view keys);

  // Waits until `text` appears after the previous match; returns false at the deadline. On
  // success, last_match() holds the output from the previous match up to the end of this one.
  bool expect(std::string_view text, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  const std::string& last_match() const { return last_match_; }
  // Waits until the program reads keys one by one (the terminal left canonical mode): a line
  // editor prints its prompt before switching, and keys typed in between would be cooked by the
  // kernel (^C flushes them, ^D becomes a NUL).
  bool wait_for_raw_mode(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // All output so far (for failure messages).
  const std::string& transcript() const { return output_; }
  // Where the program is blocked (/proc wchan, syscall, signal masks, kernel stack).
  std::string debug_state() const;

  // Waits for the program to exit (draining its output); the exit code, or -1.
  int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  bool pump(int timeout_ms);  // reads what is available; false on EOF

  pid_t pid_ = -1;
  int master_ = -1;
  std::string output_;
  std::size_t consumed_ = 0;
  std::string last_match_;
};

}  // namespace taskd::test
