// Reads a child's stdout or stderr pipe on the event loop and hands each chunk to a sink: either
// a callback (an exec's capture buffer, an agent's line parser), reading up to 64 KiB into a
// buffer shared by all pumps, or a log file, moved there with splice(2) without passing through
// user space. One read per loop turn, so a child writing as fast as it can never starves other
// work; a pipe found full is grown to 1 MiB so fast writers need fewer turns, while a thousand
// quiet pumps cost neither buffers nor big pipes.
//
// A log file that refuses output (disk full, quota, I/O error) never blocks the child: the pump
// keeps draining the pipe, drops and counts what it cannot write, and tries the file again at
// most once a second while output keeps coming, so output reaches the log again once there is
// room.
#pragma once

#include "common/unique_fd.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace taskd::process {

// A file sink's report: output started being dropped (with the error), or reaches the file again
// (with how many bytes were dropped meanwhile).
struct OutputLoss {
  bool resumed = false;
  std::string error;
  std::uint64_t dropped_bytes = 0;
};

struct FileSinkReport {
  std::shared_ptr<std::uint64_t> dropped_bytes;    // grows by every byte dropped; may be null
  std::function<void(const OutputLoss&)> on_loss;  // may be empty
};

class OutputPump : public std::enable_shared_from_this<OutputPump> {
 public:
  using OnData = std::function<void(std::string_view chunk)>;
  using OnEnd = std::function<void()>;

  // Starts reading at once; on_end runs once at EOF or error (never after stop()).
  static std::shared_ptr<OutputPump> start(boost::asio::io_context& io, UniqueFd pipe,
                                           OnData on_data, OnEnd on_end = {});
  // Splices everything into `file` (which rotates as usual).
  static std::shared_ptr<OutputPump> start_to_file(boost::asio::io_context& io, UniqueFd pipe,
                                                   std::shared_ptr<class LogFile> file,
                                                   FileSinkReport report = {});

  // Stops reading and closes the pipe; no callback runs afterwards.
  void stop();
  bool finished() const { return finished_; }
  // True for a callback sink (the owner's code runs on each chunk), false for a file or a drain.
  bool calls_back() const { return on_data_ || on_end_; }

  OutputPump(boost::asio::io_context& io, UniqueFd pipe, OnData on_data, OnEnd on_end);

 private:
  void wait_readable();
  void read_once();
  long move_to_file();
  long read_to_sink();
  long drop_once();
  void start_dropping(const std::string& error);
  void finish();
  void grow_pipe_if_full(std::size_t just_read);

  boost::asio::posix::stream_descriptor pipe_;
  OnData on_data_;
  OnEnd on_end_;
  std::shared_ptr<class LogFile> file_;
  FileSinkReport report_;
  bool dropping_ = false;  // the file refused output; it is retried at retry_at_
  std::chrono::steady_clock::time_point retry_at_{};
  std::uint64_t dropped_now_ = 0;  // bytes dropped since dropping_ began
  std::size_t capacity_ = 0;       // pipe capacity, learnt on first use
  bool finished_ = false;
};

}  // namespace taskd::process
