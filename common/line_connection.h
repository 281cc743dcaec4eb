// One '\n'-framed stream connection on the daemon's io_context (UNIX or vsock, both as a generic
// stream socket): a reader coroutine that hands complete lines to on_line(), and a writer
// coroutine draining a bounded outbound queue. Subclasses add the protocol.
//
// Bounds: a line longer than max_line_bytes ends the connection after on_line_too_long(); the
// reader stops reading while the queue is above half its limit (a client that pipelines without
// reading only stalls itself); an event that would push the queue past its limit closes the
// connection (a slow subscriber never grows daemon memory).
#pragma once

#include "common/line_framer.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

namespace taskd {

struct ConnectionLimits {
  std::size_t max_line_bytes = kDefaultMaxLineBytes;
  std::size_t max_queue_bytes = 8 * 1024 * 1024;
};

class LineConnection : public std::enable_shared_from_this<LineConnection> {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;

  LineConnection(Socket socket, ConnectionLimits limits);
  virtual ~LineConnection();
  LineConnection(const LineConnection&) = delete;
  LineConnection& operator=(const LineConnection&) = delete;

  // Spawns the reader and writer coroutines; each keeps the connection alive.
  void start();

  // Queues a response line ('\n' is appended). Never drops: the reader's backpressure bounds it.
  void send(std::string line);
  // Queues an unsolicited line; returns false and closes the connection when the queue is full.
  bool send_event(std::string line);

  // Flushes what is queued, then closes. Further input is ignored.
  void close_after_flush();
  void close();

  bool is_open() const { return !closed_; }
  std::size_t queued_bytes() const { return queued_bytes_; }
  const ConnectionLimits& limits() const { return limits_; }

 protected:
  virtual void on_line(std::string_view line) = 0;
  virtual void on_line_too_long() = 0;
  virtual void on_closed() {}

 private:
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  void enqueue(std::string line);

  Socket socket_;
  ConnectionLimits limits_;
  LineFramer framer_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  boost::asio::steady_timer wake_writer_;
  boost::asio::steady_timer queue_drained_;
  bool closing_ = false;  // no more input; close once the queue is flushed
  bool closed_ = false;
  bool closed_notified_ = false;
};

}  // namespace taskd
