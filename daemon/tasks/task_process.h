// A task's main process: spawned with the shared spawn/reap/output code, its output appended to
// the task's log files, stopped gracefully (stop signal to the group, then SIGKILL).
#pragma once

#include "common/command_spec.h"
#include "common/error.h"
#include "daemon/supervisor/stop_group.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace taskd::supervisor {
class OutputPump;
class Reaper;
}  // namespace taskd::supervisor

namespace taskd::tasks {

class TaskProcess : public std::enable_shared_from_this<TaskProcess> {
 public:
  using OnExit = std::function<void(int wait_status)>;

  TaskProcess(boost::asio::io_context& io, supervisor::Reaper& reaper);
  ~TaskProcess();

  // Spawns the command with stdout/stderr appended to LOG_DIR/stdout.log and stderr.log.
  Result<pid_t> start(const CommandSpec& command, const std::string& log_dir, OnExit on_exit);
  // SIGTERM to the group, SIGKILL after `grace`; returns once the process is gone.
  boost::asio::awaitable<void> stop(std::chrono::milliseconds grace);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  boost::asio::io_context& io_;
  supervisor::Reaper& reaper_;
  pid_t pid_ = 0;
  OnExit on_exit_;
  std::shared_ptr<supervisor::OutputPump> stdout_pump_;
  std::shared_ptr<supervisor::OutputPump> stderr_pump_;
  supervisor::ExitNotifier exited_;
};

}  // namespace taskd::tasks
