// One supervised process instance: runs ProcessMachine's effects for real (spawn, signals to the
// process group, timers, output pumps) and reports every state change to its host. What to do,
// what to log and what to refuse is the machine's; this class only carries it out.
#pragma once

#include "daemon/process/child.h"
#include "daemon/supervisor/instance_spec.h"
#include "daemon/supervisor/process_machine.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace taskd::process {
class LogFileRegistry;
}  // namespace taskd::process

namespace taskd::supervisor {

struct StateChange {
  std::string name;
  std::string group;
  ProcessState from;
  ProcessState to;
  pid_t pid;
  std::optional<Exit> exit;  // set on the transition that an exit caused
  std::string
      message;  // supervisord-style description ("exited: web (exit status 1; not expected)")
};

// A process's log file refused output (or takes it again): supervisor events and the log say so.
struct OutputLossChange {
  std::string name;
  std::string group;
  std::string stream;  // "stdout" or "stderr"
  std::string path;
  bool resumed = false;
  std::string error;                // when dropping began
  std::uint64_t dropped_bytes = 0;  // when resumed: dropped since dropping began
};

struct ProcessStatus {
  std::string name;
  std::string group;
  ProcessState state = ProcessState::kStopped;
  pid_t pid = 0;
  std::int64_t start_ms = 0;  // Unix time of the last spawn, 0 if never
  std::int64_t stop_ms = 0;   // Unix time of the last exit, 0 if never
  std::int64_t uptime_ms = 0;
  std::optional<Exit> exit;  // how the last run ended
  std::string spawn_error;
  std::string
      description;  // like supervisorctl: "pid 12, uptime 0:00:05", "Exited too quickly ..."
  std::string stdout_log;
  std::string stderr_log;
  int backoff = 0;
  std::uint64_t output_dropped_bytes = 0;  // output its log files refused, over all runs
};

struct ProcessHost {
  boost::asio::io_context& io;
  process::Reaper& reaper;
  process::LogFileRegistry& logs;
  std::function<void(const StateChange&)> on_change;
  std::function<void(const OutputLossChange&)> on_output_loss;
};

class Process {
 public:
  Process(ProcessHost& host, InstanceSpec spec);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // kBadState (naming the state) when the request means nothing now.
  Result<void> start();
  Result<void> stop();
  // Daemon shutdown: from now on this process never starts or restarts (it is not stopped).
  void shut_down();
  Result<void> send_signal(int signal);

  const InstanceSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  ProcessState state() const { return machine_.state(); }
  pid_t pid() const { return pid_; }
  // How many times the process has reached RUNNING: a start succeeded if this grew, even when
  // the run (starttime 0) has already ended.
  std::uint64_t runs() const { return machine_.runs(); }
  ProcessStatus status() const;
  // Truncates this process's log files (taskctl clear).
  Result<void> clear_logs();
  // Writes to the stdin pipe (stdin = "pipe") without blocking: returns how many bytes the pipe
  // took, which is less than data.size() when it is full. With `eof` the pipe is closed after a
  // complete write. kBadState when not running or without a pipe; kIo when the process closed it.
  Result<std::size_t> write_stdin(std::string_view data, bool eof);

 private:
  Result<void> request(Event event);
  void fire(Event event);
  void execute(const Step& step, const Exit* exit);
  void spawn();
  process::Output output_of(const OutputConfig& output, const char* stream);
  void on_exit(int wait_status);
  void arm(std::int64_t delay_ms, Event event);
  void signal_group(int signal);

  ProcessHost& host_;
  InstanceSpec spec_;
  ProcessMachine machine_;
  boost::asio::steady_timer timer_;
  std::uint64_t timer_generation_ = 0;
  pid_t pid_ = 0;
  std::int64_t start_ms_ = 0;
  std::int64_t stop_ms_ = 0;
  std::chrono::steady_clock::time_point started_at_{};
  // The current run; owned here alone, so its callbacks may use `this` (process/child.h).
  std::shared_ptr<process::Child> child_;
  // Shared with the pumps, which may outlive this object (they drain until EOF).
  std::shared_ptr<std::uint64_t> output_dropped_bytes_ = std::make_shared<std::uint64_t>(0);
  std::shared_ptr<int> lifetime_ = std::make_shared<int>(0);
};

}  // namespace taskd::supervisor
