// The write end of a child's stdin pipe, written only on the event loop and never blocking it:
// one queue of byte strings written in order by async writes (exec's stdin data, agent prompt
// lines), and write_some for callers that must not queue (programs.input, where the client
// resends what the pipe did not take). Handlers keep this object (and so the queued bytes) alive
// until they complete; close() makes them complete at once.
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <deque>
#include <memory>
#include <string>
#include <string_view>

namespace taskd::process {

class StdinWriter : public std::enable_shared_from_this<StdinWriter> {
 public:
  StdinWriter(boost::asio::io_context& io, UniqueFd pipe);

  // Queues `bytes`; false when the pipe is closed (or closing). A failed write (the child closed
  // its stdin) drops the queue and closes the pipe.
  bool write(std::string bytes);
  // Closes the pipe once the queued bytes are written: the child reads end-of-file.
  void close_after_writes();
  // Closes it now; queued bytes are dropped.
  void close();
  bool is_open() const { return pipe_.is_open() && !closing_; }
  // Writes now what the pipe takes without blocking; 0 while bytes are queued. kIo (and the
  // pipe is closed) when the child closed its stdin.
  Result<std::size_t> write_some(std::string_view data);

 private:
  void flush();

  boost::asio::posix::stream_descriptor pipe_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool closing_ = false;  // close_after_writes() was called
};

}  // namespace taskd::process
