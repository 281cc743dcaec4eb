// One '\n'-framed stream connection on the daemon's io_context (UNIX or vsock, both as a generic
// stream socket): a reader coroutine that hands complete lines to on_line(), a writer coroutine
// draining a bounded outbound queue, and (with an idle timeout) a watchdog. Subclasses add the
// protocol.
//
// Bounds: a line longer than max_line_bytes ends the connection after on_line_too_long(). The
// connection's usage is what it has queued plus what it has reserved for replies still to come;
// the next line is read only while at most half of max_queue_bytes is queued and the usage stays
// within max_queue_bytes (a client that pipelines without reading only stalls itself). Reservations
// and queued lines must also fit the daemon-wide QueueBudget. An event that would overflow either
// closes the connection (a slow subscriber never grows daemon memory). With an idle timeout, a line
// left incomplete or queued output the peer does not read for that long closes the connection.
#pragma once

#include "common/line_framer.h"
#include "common/queue_budget.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace taskd {

struct ConnectionLimits {
  std::size_t max_line_bytes = kDefaultMaxLineBytes;
  std::size_t max_queue_bytes = 8 * 1024 * 1024;
  std::chrono::milliseconds idle_timeout{0};  // 0: never
  std::shared_ptr<QueueBudget> budget;        // shared by all connections; null: no global bound
};

class LineConnection : public std::enable_shared_from_this<LineConnection> {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;

  LineConnection(Socket socket, ConnectionLimits limits);
  virtual ~LineConnection();
  LineConnection(const LineConnection&) = delete;
  LineConnection& operator=(const LineConnection&) = delete;

  // Spawns the reader, the writer and the watchdog; each keeps the connection alive.
  void start();

  // Queues a line ('\n' is appended) whatever the bounds: for small error replies, whose count
  // the reader's backpressure bounds.
  void send(std::string line);
  // Queues an unsolicited line; returns false and closes the connection when it does not fit.
  bool send_event(std::string line);

  // Reserves room for `bytes` of replies still to come: false when they fit neither this
  // connection's queue (unless it holds nothing) nor the daemon-wide budget.
  bool reserve(std::size_t bytes);
  // The same without the checks (an error reply in place of one that did not fit).
  void reserve_anyway(std::size_t bytes);
  void release(std::size_t bytes);
  // Turns `reserved` bytes into a reservation of `bytes`: always when it is not more, else only
  // as reserve() allows (false: the `reserved` bytes are released and nothing is held).
  bool resize_reservation(std::size_t reserved, std::size_t bytes);
  // Whether the reader may go on: at most half the queue queued, and the usage plus `need` more
  // bytes within it (or nothing is held). wait_for_room() waits for it (or for the close).
  bool has_room(std::size_t need) const;
  boost::asio::awaitable<void> wait_for_room(std::size_t need);

  // Flushes what is queued, then closes. Further input is ignored.
  void close_after_flush();
  void close();

  bool is_open() const { return !closed_; }
  std::size_t queued_bytes() const { return queued_bytes_; }
  std::size_t usage() const { return queued_bytes_ + reserved_bytes_; }
  const ConnectionLimits& limits() const { return limits_; }

 protected:
  virtual boost::asio::awaitable<void> on_line(std::string_view line) = 0;
  virtual void on_line_too_long() = 0;
  virtual void on_closed() {}
  // Before the watchdog closes the connection; `why` says what it waited for.
  virtual void on_idle_close(std::string_view why) { (void)why; }

 private:
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> watchdog_loop();
  void enqueue(std::string line);
  bool fits(std::size_t more) const;
  // Call after queued_bytes_ or reserved_bytes_ changed from a total of `before`.
  void account(std::size_t before);
  void note_partial_line(bool completed_one);

  using Clock = std::chrono::steady_clock;

  Socket socket_;
  ConnectionLimits limits_;
  LineFramer framer_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t reserved_bytes_ = 0;
  boost::asio::steady_timer wake_writer_;
  boost::asio::steady_timer room_;  // cancelled whenever usage drops
  boost::asio::steady_timer watchdog_;
  std::optional<Clock::time_point> partial_since_;  // an incomplete line began
  std::optional<Clock::time_point> writing_since_;  // a write is under way
  bool closing_ = false;  // no more input; close once the queue is flushed
  bool closed_ = false;
  bool closed_notified_ = false;
};

}  // namespace taskd
