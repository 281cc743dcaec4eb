// One agent child: a process::Child with a pipe to its stdin for prompt lines, its stdout split
// into lines (over-long lines are passed on in pieces, never dropped), its stderr appended to a
// log file. Exits are reported once, through the Child.
#pragma once

#include "common/command_spec.h"
#include "common/error.h"
#include "common/line_framer.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace taskd::process {
class Child;
class Reaper;
}  // namespace taskd::process

namespace taskd::sessions {

struct AgentLaunch {
  // With a user, command.cwd is made theirs (0700) and entered by fd.
  CommandSpec command;
  std::string stderr_log;
};

class AgentProcess : public std::enable_shared_from_this<AgentProcess> {
 public:
  // complete = false: a piece of a line longer than 1 MiB (no newline yet).
  using OnLine = std::function<void(std::string_view line, bool complete)>;
  using OnExit = std::function<void(int wait_status)>;

  AgentProcess(boost::asio::io_context& io, process::Reaper& reaper);
  ~AgentProcess();

  Result<pid_t> start(const AgentLaunch& launch, OnLine on_line, OnExit on_exit);
  // Queues bytes for the agent's stdin; false when the agent is gone.
  bool write(std::string bytes);
  // Stop signal to the group, SIGKILL after `grace`; returns once it is gone.
  boost::asio::awaitable<void> stop(std::chrono::milliseconds grace);
  bool running() const;
  pid_t pid() const;  // 0 once it exited

 private:
  void on_stdout(std::string_view chunk);

  boost::asio::io_context& io_;
  process::Reaper& reaper_;
  OnLine on_line_;
  LineFramer framer_{1024 * 1024};
  // Owned here alone: its callbacks may use `this` (process/child.h).
  std::shared_ptr<process::Child> child_;
};

}  // namespace taskd::sessions
