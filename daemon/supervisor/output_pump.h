// Reads a child's stdout or stderr pipe on the event loop and hands each chunk to a sink (a log
// file, an exec's capture buffer, an agent's line parser). Reads 64 KiB at a time, so a child
// writing as fast as it can gets one read per loop turn and cannot starve other work.
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

  // Starts reading at once; on_end runs once at EOF or error (or never, after stop()).
  static std::shared_ptr<OutputPump> start(boost::asio::io_context& io, UniqueFd pipe,
                                           OnData on_data, OnEnd on_end = {});

  // Stops reading and closes the pipe; no callback runs afterwards.
  void stop();
  bool finished() const { return finished_; }

  OutputPump(boost::asio::io_context& io, UniqueFd pipe, OnData on_data, OnEnd on_end);

 private:
  void read_more();

  boost::asio::posix::stream_descriptor pipe_;
  OnData on_data_;
  OnEnd on_end_;
  std::unique_ptr<char[]> buffer_;
  bool finished_ = false;
};

}  // namespace taskd::supervisor
