// Requests on processes named by patterns, answered the way supervisorctl answers them: one
// outcome per process (each once, in the order the patterns name them) and one per pattern that
// names nothing. Owns what counts as started or stopped, how long a request waits for that, and
// restart as stop-then-start. Process* are never kept across a wait: a reload may replace them,
// so everything is looked up again by name.
#pragma once

#include "common/error.h"
#include "daemon/supervisor/log_reader.h"
#include "daemon/supervisor/process_machine.h"

#include <boost/asio/awaitable.hpp>

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskd::supervisor {

class Process;
class Supervisor;

struct Outcome {
  std::string name;  // the process, or the pattern that named nothing
  std::optional<Error> error;
  // The process as the request left it; absent when there is no such process (any more).
  std::optional<ProcessState> state;
  pid_t pid = 0;
};

struct WaitOptions {
  bool wait = true;                        // wait until each process got where it was asked to go
  std::optional<std::int64_t> timeout_ms;  // absent: settle_deadline() of their start/stoptime
};

// STARTING counts as started once its run reached RUNNING, even if it already ended.
boost::asio::awaitable<std::vector<Outcome>> start_processes(Supervisor& sup,
                                                             std::vector<std::string> patterns,
                                                             WaitOptions options);
boost::asio::awaitable<std::vector<Outcome>> stop_processes(Supervisor& sup,
                                                            std::vector<std::string> patterns,
                                                            WaitOptions options);
// Stops (a process that was not running is fine), waits for every stop, then starts.
boost::asio::awaitable<std::vector<Outcome>> restart_processes(Supervisor& sup,
                                                               std::vector<std::string> patterns,
                                                               WaitOptions options);
std::vector<Outcome> signal_processes(Supervisor& sup, const std::vector<std::string>& patterns,
                                      int signal);
std::vector<Outcome> clear_process_logs(Supervisor& sup, const std::vector<std::string>& patterns);

// What a status request names: every process when `patterns` is empty.
struct Selection {
  std::vector<Process*> processes;
  std::vector<Outcome> not_found;
};
Selection select_processes(Supervisor& sup, const std::vector<std::string>& patterns);

// One instance by exact name; kNotFound otherwise.
Result<Process*> find_process(Supervisor& sup, std::string_view name);

struct LogTail {
  std::string path;
  LogSlice slice;
};
// A slice of a process's "stdout" or "stderr" log file; kBadState when that stream is not
// logged to a file.
Result<LogTail> tail_process_log(Supervisor& sup, std::string_view name, std::string_view stream,
                                 std::optional<std::int64_t> offset, std::int64_t length);

}  // namespace taskd::supervisor
