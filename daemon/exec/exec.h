// One command run to completion for exec.run, task setup `run` steps and task checks: a
// process::Child whose output is captured within a budget (and optionally streamed), bounded by a
// timeout that stops then kills the whole process group. When the main process ends, whatever it
// left in its process group is killed: an exec leaves nothing behind.
#pragma once

#include "common/command_spec.h"
#include "common/error.h"
#include "daemon/exec/output_capture.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace taskd::process {
class Child;
class Reaper;
}  // namespace taskd::process

namespace taskd::exec {

struct ExecRequest {
  CommandSpec command;  // env over the daemon's environment
  std::string stdin_data;
  std::int64_t timeout_ms = 0;        // 0: no timeout
  std::int64_t kill_grace_ms = 2000;  // after the stop signal, before SIGKILL
  int stop_signal = 15;
  std::uint64_t max_output_bytes = 1024 * 1024;  // per stream
};

enum class ExitReason { kExited, kSignaled, kTimeout, kCancelled, kSpawnFailed };
std::string_view reason_name(ExitReason reason);

struct ExecResult {
  ExitReason reason = ExitReason::kExited;
  std::optional<int> exit_code;
  std::optional<int> signal;
  bool timed_out = false;
  std::int64_t duration_ms = 0;
  pid_t pid = 0;
  std::string error;  // spawn failure text
};

class Exec : public std::enable_shared_from_this<Exec> {
 public:
  // (stream "stdout"/"stderr", byte offset of `data` in that stream, data)
  using OnOutput =
      std::function<void(std::string_view stream, std::uint64_t offset, std::string_view data)>;

  // Always returns an Exec; a spawn failure is an Exec already finished with kSpawnFailed.
  static std::shared_ptr<Exec> start(boost::asio::io_context& io, process::Reaper& reaper,
                                     ExecRequest request, OnOutput on_output = {});
  ~Exec();

  bool finished() const { return finished_; }
  const ExecResult& result() const { return result_; }
  const OutputCapture& stdout_capture() const { return out_; }
  const OutputCapture& stderr_capture() const { return err_; }
  pid_t pid() const { return result_.pid; }

  // Runs `callback` once the exec finished (at once if it has).
  void on_finish(std::function<void()> callback);
  boost::asio::awaitable<void> wait();
  // Kills the process group; the result says kCancelled.
  void cancel();

  Exec(boost::asio::io_context& io, process::Reaper& reaper, ExecRequest request,
       OnOutput on_output);

 private:
  void launch();
  void on_chunk(std::string_view stream, std::string_view chunk);
  void on_stream_end();
  void on_exit(int wait_status);
  void on_timeout();
  void stop_draining();
  void maybe_finish();
  void finish();

  boost::asio::io_context& io_;
  process::Reaper& reaper_;
  ExecRequest request_;
  OnOutput on_output_;
  OutputCapture out_;
  OutputCapture err_;
  ExecResult result_;
  bool exited_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
  int open_streams_ = 0;
  std::chrono::steady_clock::time_point started_;
  boost::asio::steady_timer timer_;        // the timeout
  boost::asio::steady_timer drain_timer_;  // bounds the wait for EOF after the exit
  // Owned here alone: its callbacks may use `this` (process/child.h).
  std::shared_ptr<process::Child> child_;
  std::uint64_t stdout_offset_ = 0;
  std::uint64_t stderr_offset_ = 0;
  std::vector<std::function<void()>> on_finish_;
};

}  // namespace taskd::exec
