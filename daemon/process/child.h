// One child process and everything wired to it: the spawn (spawn.h), the exit watch through the
// one Reaper, the output pumps, the stdin writer, and stopping the whole process group. Every
// user of a child (supervision, exec, tasks, agents) goes through this class; none of them calls
// spawn_process, Reaper::watch or killpg itself.
//
// Invariants:
// - The exit is reported once: on_exit runs once, then every wait() returns.
// - Signals go to the process group only while the leader is unreaped: after that its pgid may
//   belong to a stranger.
// - Destroying a Child that still runs SIGKILLs its group; after destruction no callback of the
//   Child's (on_exit, output callbacks) runs. File sinks keep draining into their log until EOF.
//
// Lifetime: shared_from_this / weak_ptr, as in the Asio examples. A Child is always owned through
// a shared_ptr by ONE owner; every handler the Child arms (reaper watch, kill timer, stdin writes)
// holds only a weak_ptr and does nothing once the Child is gone. So the owner's lifetime alone
// decides the child's, and an owner that holds its Child as a member may capture `this` in the
// callbacks it hands over. (The alternative, an explicit lifetime token plus generation counters
// threaded through each handler, is what supervisor/process.cpp did by hand; weak_ptr makes the
// check the language's.)
#pragma once

#include "common/command_spec.h"
#include "common/error.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "daemon/process/output_pump.h"
#include "daemon/process/reaper.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskd::process {

class LogFile;
class StdinWriter;
struct SpawnedProcess;

// Where one of the child's output streams goes.
struct Output {
  enum class Kind {
    kNull,          // /dev/null
    kInherit,       // taskd's own stdout / stderr
    kSameAsStdout,  // stderr only: the same destination as stdout
    kCallback,      // a pipe, each chunk handed to on_data, on_end at EOF
    kFile,          // a pipe spliced into a log file (which rotates as usual)
    kDrain,         // a pipe read and dropped (a log file that could not be opened)
  };
  Kind kind = Kind::kNull;
  OutputPump::OnData on_data;  // kCallback
  OutputPump::OnEnd on_end;    // kCallback, may be empty
  std::shared_ptr<LogFile> file;
  FileSinkReport report;  // kFile

  static Output null() { return {}; }
  static Output inherit() { return {Kind::kInherit}; }
  static Output same_as_stdout() { return {Kind::kSameAsStdout}; }
  static Output drain() { return {Kind::kDrain}; }
  static Output callback(OutputPump::OnData on_data, OutputPump::OnEnd on_end = {});
  static Output file_sink(std::shared_ptr<LogFile> file, FileSinkReport report = {});
  // Opens `path` as a LogFile; when that fails, logs why on `channel` and drains, so the child
  // never blocks on a full pipe.
  static Output log_file(const std::string& path, std::uint64_t max_bytes, int backups,
                         LogChannel channel);
};

struct ChildSpec {
  CommandSpec command;
  // Set before command.env (which wins on a clash), e.g. TASKD_PROCESS_NAME for programs.
  std::vector<std::pair<std::string, std::string>> base_env;
  int cwd_fd = -1;  // instead of command.cwd: a directory the caller opened (spawn.h)
  // PR_SET_PDEATHSIG: tasks, execs and agents die with taskd; supervised programs do not.
  bool die_with_daemon = true;
  // What the reaper does with the rest of the group when the leader exits.
  LeaderExit leader_exit = LeaderExit::kKeepGroup;
  bool stdin_pipe = false;  // false: /dev/null
  Output out;
  Output err;
  // Later: the cgroup the child is placed in before exec hangs off this spec, and Child::stop
  // kills the cgroup instead of the process group.
};

class Child : public std::enable_shared_from_this<Child> {
 public:
  using OnExit = std::function<void(int wait_status)>;

  // Spawns and watches the child; the pumps start reading on the next loop turn. kSpawnFailed
  // (with the stage and errno, see spawn.h) when it cannot start.
  static Result<std::shared_ptr<Child>> spawn(boost::asio::io_context& io, Reaper& reaper,
                                              ChildSpec spec, OnExit on_exit = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }  // also the process group id; kept after the exit
  bool running() const { return !wait_status_; }
  std::optional<int> wait_status() const { return wait_status_; }

  // Returns once the child is reaped (at once if it is), or after `limit`.
  boost::asio::awaitable<void> wait(std::chrono::milliseconds limit = std::chrono::hours(24 * 365));

  // `signal` to the whole group while the leader is unreaped. False (errno set) on failure,
  // ESRCH when the child is gone.
  bool signal(int signal);
  // `signal` to the group now, SIGKILL to the group if the child is still there after `grace`.
  // Returns at once; a second call changes nothing but the signal sent.
  void terminate(std::chrono::milliseconds grace, int signal);
  // terminate(), then returns once the child is reaped (SIGKILL cannot be ignored, but a process
  // in uninterruptible sleep can delay it: this gives up 5 s after the SIGKILL).
  boost::asio::awaitable<void> stop(std::chrono::milliseconds grace, int signal);

  // The one stdin writer. write() queues bytes, written in order as the pipe takes them; false
  // when there is no pipe or it was closed. close_stdin() closes it after the queued bytes.
  bool write(std::string bytes);
  void close_stdin();
  bool has_stdin() const;
  // For callers that must not queue (programs.input: the client resends what was not taken):
  // writes now what the pipe takes without blocking, nothing while bytes are queued. kBadState
  // without a pipe; kIo (and the pipe is dropped) when the child closed its stdin.
  Result<std::size_t> write_some(std::string_view data);

  // Stops reading stdout and stderr (an exec whose descendant holds the pipe open for ever).
  void stop_output();

  Child(boost::asio::io_context& io, Reaper& reaper, pid_t pid);

 private:
  struct ExitWaiters;

  void on_exit(int wait_status);
  void start_pumps(SpawnedProcess& spawned, Output out, Output err);
  std::shared_ptr<OutputPump> start_pump(UniqueFd pipe, Output output);

  boost::asio::io_context& io_;
  Reaper& reaper_;
  pid_t pid_;
  std::optional<int> wait_status_;
  OnExit on_exit_;
  boost::asio::steady_timer kill_timer_;  // terminate(): the SIGKILL after the grace
  bool kill_armed_ = false;
  std::shared_ptr<ExitWaiters> waiters_;
  std::shared_ptr<StdinWriter> stdin_;
  std::vector<std::shared_ptr<OutputPump>> pumps_;
};

}  // namespace taskd::process
