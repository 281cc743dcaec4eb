// Reads a child's stdout or stderr pipe on the event loop and hands each chunk to a sink: either
// a callback (an exec's capture buffer, an agent's line parser), reading up to 64 KiB into a
// buffer shared by all pumps, or a log file, moved there with splice(2) without passing through
// user space. One read per loop turn, so a child writing as fast as it can never starves other
// work; a pipe found full is grown to 1 MiB so fast writers need fewer turns, while a thousand
// quiet pumps cost neither buffers nor big pipes.
#pragma once

#include "common/unique_fd.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <functional>
#include <memory>
#include <string_view>

namespace taskd::supervisor {

class OutputPump : public std::enable_shared_from_this<OutputPump> {
 public:
  using OnData = std::function<void(std::string_view chunk)>;
  using OnEnd = std::function<void()>;

  // Starts reading at once; on_end runs once at EOF or error (never after stop()).
  static std::shared_ptr<OutputPump> start(boost::asio::io_context& io, UniqueFd pipe,
                                           OnData on_data, OnEnd on_end = {});
  // Splices everything into `file` (which rotates as usual).
  static std::shared_ptr<OutputPump> start_to_file(boost::asio::io_context& io, UniqueFd pipe,
                                                   std::shared_ptr<class LogFile> file);

  // Stops reading and closes the pipe; no callback runs afterwards.
  void stop();
  bool finished() const { return finished_; }

  OutputPump(boost::asio::io_context& io, UniqueFd pipe, OnData on_data, OnEnd on_end);

 private:
  void wait_readable();
  void read_once();
  void finish();
  void grow_pipe_if_full(std::size_t just_read);

  boost::asio::posix::stream_descriptor pipe_;
  OnData on_data_;
  OnEnd on_end_;
  std::shared_ptr<class LogFile> file_;
  std::size_t capacity_ = 0;  // pipe capacity, learnt on first use
  bool finished_ = false;
};

}  // namespace taskd::supervisor
