// One agent child: spawned with its own process group, a pipe to its stdin for prompt lines, its
// stdout split into lines (over-long lines are passed on in pieces, never dropped), its stderr
// appended to a log file. Exits are reported once through the shared reaper.
#pragma once

#include "common/error.h"
#include "common/line_framer.h"
#include "daemon/supervisor/stop_group.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace taskd::supervisor {
class OutputPump;
class Reaper;
}  // namespace taskd::supervisor

namespace taskd::sessions {

struct AgentLaunch {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::string cwd;  // with a user: made theirs (0700) and entered by fd
  std::string stderr_log;
  std::string user;  // empty: taskd's user and environment
};

class AgentProcess : public std::enable_shared_from_this<AgentProcess> {
 public:
  // complete = false: a piece of a line longer than 1 MiB (no newline yet).
  using OnLine = std::function<void(std::string_view line, bool complete)>;
  using OnExit = std::function<void(int wait_status)>;

  AgentProcess(boost::asio::io_context& io, supervisor::Reaper& reaper);
  ~AgentProcess();

  Result<pid_t> start(const AgentLaunch& launch, OnLine on_line, OnExit on_exit);
  // Queues bytes for the agent's stdin; false when the agent is gone.
  bool write(std::string bytes);
  // Stop signal to the group, SIGKILL after `grace`; returns once it is gone.
  boost::asio::awaitable<void> stop(std::chrono::milliseconds grace);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  void flush_writes();
  void on_stdout(std::string_view chunk);

  boost::asio::io_context& io_;
  supervisor::Reaper& reaper_;
  pid_t pid_ = 0;
  OnLine on_line_;
  OnExit on_exit_;
  LineFramer framer_{1024 * 1024};
  std::unique_ptr<boost::asio::posix::stream_descriptor> stdin_;
  std::deque<std::string> pending_writes_;
  bool writing_ = false;
  std::shared_ptr<supervisor::OutputPump> stdout_pump_;
  std::shared_ptr<supervisor::OutputPump> stderr_pump_;
  supervisor::ExitNotifier exited_;
};

}  // namespace taskd::sessions
