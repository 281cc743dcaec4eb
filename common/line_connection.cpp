#include "common/line_connection.h"

#include "common/log.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <vector>

namespace taskd {
namespace asio = boost::asio;
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxBuffersPerWrite = 64;
constexpr auto kMinWatchdogPeriod = std::chrono::milliseconds(10);

void log_unexpected(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    log(LogChannel::kRpc).error("connection coroutine failed: {}", e.what());
  }
}

}  // namespace

LineConnection::LineConnection(Socket socket, ConnectionLimits limits)
    : socket_(std::move(socket)),
      limits_(std::move(limits)),
      framer_(limits_.max_line_bytes),
      wake_writer_(socket_.get_executor(), asio::steady_timer::time_point::max()),
      room_(socket_.get_executor(), asio::steady_timer::time_point::max()),
      watchdog_(socket_.get_executor()) {}

LineConnection::~LineConnection() {
  if (limits_.budget) limits_.budget->move(usage(), 0);
}

void LineConnection::start() {
  auto executor = socket_.get_executor();
  asio::co_spawn(
      executor, [self = shared_from_this()] { return self->read_loop(); }, log_unexpected);
  asio::co_spawn(
      executor, [self = shared_from_this()] { return self->write_loop(); }, log_unexpected);
  if (limits_.idle_timeout.count() > 0) {
    asio::co_spawn(
        executor, [self = shared_from_this()] { return self->watchdog_loop(); }, log_unexpected);
  }
}

asio::awaitable<void> LineConnection::read_loop() {
  auto self = shared_from_this();
  while (!closed_ && !closing_) {
    auto space = framer_.prepare(kReadChunk);
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(space.data(), space.size()),
                                                    asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    if (closed_ || closing_) co_return;  // closed while the read was pending: run nothing more
    framer_.commit(n);
    std::string_view line;  // stays valid until the next prepare(): nothing else touches framer_
    bool completed = false;
    for (;;) {
      auto status = framer_.next(line);
      if (status == LineFramer::Status::kNeedMore) break;
      if (status == LineFramer::Status::kTooLong) {
        on_line_too_long();
        close_after_flush();
        co_return;
      }
      completed = true;
      // Checked before every request, not per read: one read may hold thousands of them.
      if (!has_room(0)) co_await wait_for_room(0);
      if (closed_ || closing_) co_return;
      co_await on_line(line);
      if (closed_ || closing_) co_return;
    }
    note_partial_line(completed);
  }
  // EOF or error: answers still queued are pointless to a peer that has gone, but a peer that
  // only half-closed its side still reads them.
  close_after_flush();
}

void LineConnection::note_partial_line(bool completed_one) {
  if (framer_.buffered() == 0) {
    partial_since_.reset();
  } else if (completed_one || !partial_since_) {
    partial_since_ = Clock::now();  // a new line began: it has the whole timeout to complete
  }
}

asio::awaitable<void> LineConnection::write_loop() {
  auto self = shared_from_this();
  std::vector<std::string> batch;
  std::vector<asio::const_buffer> buffers;
  while (!closed_) {
    if (queue_.empty()) {
      if (closing_) break;
      co_await wake_writer_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    batch.clear();
    buffers.clear();
    std::size_t bytes = 0;
    while (!queue_.empty() && batch.size() < kMaxBuffersPerWrite) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
      bytes += batch.back().size();
    }
    // Only now: growing `batch` moves its strings, which would invalidate earlier buffers.
    for (const auto& line : batch) buffers.emplace_back(asio::buffer(line));
    writing_since_ = Clock::now();
    auto [ec, n] =
        co_await asio::async_write(socket_, buffers, asio::as_tuple(asio::use_awaitable));
    writing_since_.reset();
    std::size_t before = usage();
    queued_bytes_ -= bytes;
    account(before);
    room_.cancel();
    if (ec) break;
  }
  close();
}

asio::awaitable<void> LineConnection::watchdog_loop() {
  auto self = shared_from_this();
  const auto timeout = limits_.idle_timeout;
  const auto period = std::max<std::chrono::milliseconds>(timeout / 4, kMinWatchdogPeriod);
  while (!closed_) {
    watchdog_.expires_after(period);
    co_await watchdog_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (closed_) break;
    auto now = Clock::now();
    std::string_view why;
    if (partial_since_ && now - *partial_since_ >= timeout) why = "an incomplete line";
    if (writing_since_ && now - *writing_since_ >= timeout) why = "the peer to read its replies";
    if (!why.empty()) {
      on_idle_close(why);
      close();
    }
  }
}

void LineConnection::account(std::size_t before) {
  if (limits_.budget) limits_.budget->move(before, usage());
}

bool LineConnection::fits(std::size_t more) const {
  bool local = usage() == 0 || usage() + more <= limits_.max_queue_bytes;
  return local && (!limits_.budget || limits_.budget->allows(usage(), usage() + more));
}

bool LineConnection::has_room(std::size_t need) const {
  std::size_t held = usage();
  return queued_bytes_ <= limits_.max_queue_bytes / 2 &&
         (held == 0 || held + need <= limits_.max_queue_bytes);
}

asio::awaitable<void> LineConnection::wait_for_room(std::size_t need) {
  auto self = shared_from_this();
  while (!closed_ && !has_room(need)) {
    co_await room_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

bool LineConnection::reserve(std::size_t bytes) {
  if (closed_ || !fits(bytes)) return false;
  reserve_anyway(bytes);
  return true;
}

void LineConnection::reserve_anyway(std::size_t bytes) {
  std::size_t before = usage();
  reserved_bytes_ += bytes;
  account(before);
}

void LineConnection::release(std::size_t bytes) {
  std::size_t before = usage();
  reserved_bytes_ -= std::min(bytes, reserved_bytes_);
  account(before);
  room_.cancel();
}

bool LineConnection::resize_reservation(std::size_t reserved, std::size_t bytes) {
  if (bytes <= reserved) {
    release(reserved - bytes);
    return true;
  }
  release(reserved);
  return reserve(bytes);
}

void LineConnection::enqueue(std::string line) {
  line.push_back('\n');
  std::size_t before = usage();
  queued_bytes_ += line.size();
  account(before);
  queue_.push_back(std::move(line));
  wake_writer_.cancel();
}

void LineConnection::send(std::string line) {
  if (closed_) return;
  enqueue(std::move(line));
}

bool LineConnection::send_event(std::string line) {
  if (closed_ || closing_) return false;
  std::size_t size = line.size() + 1;
  bool local = queued_bytes_ + size <= limits_.max_queue_bytes;
  if (!local || (limits_.budget && !limits_.budget->allows(usage(), usage() + size))) {
    log(LogChannel::kRpc)
        .warn("closing slow subscriber: queue_bytes={} limit={} daemon_queue_bytes={}",
              queued_bytes_, limits_.max_queue_bytes, limits_.budget ? limits_.budget->used() : 0);
    close();
    return false;
  }
  enqueue(std::move(line));
  return true;
}

void LineConnection::close_after_flush() {
  if (closed_) return;
  closing_ = true;
  wake_writer_.cancel();
}

void LineConnection::close() {
  if (!closed_) {
    closed_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
    wake_writer_.cancel();
    room_.cancel();
    watchdog_.cancel();
    std::size_t before = usage();
    for (const auto& line : queue_) queued_bytes_ -= line.size();  // in-flight bytes stay counted
    queue_.clear();
    account(before);
  }
  if (!closed_notified_) {
    closed_notified_ = true;
    on_closed();
  }
}

}  // namespace taskd
