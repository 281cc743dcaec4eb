#include "common/line_connection.h"

#include "common/log.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <vector>

namespace taskd {
namespace asio = boost::asio;
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxBuffersPerWrite = 64;

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
      limits_(limits),
      framer_(limits.max_line_bytes),
      wake_writer_(socket_.get_executor(), asio::steady_timer::time_point::max()),
      queue_drained_(socket_.get_executor(), asio::steady_timer::time_point::max()) {}

LineConnection::~LineConnection() = default;

void LineConnection::start() {
  auto executor = socket_.get_executor();
  asio::co_spawn(
      executor, [self = shared_from_this()] { return self->read_loop(); }, log_unexpected);
  asio::co_spawn(
      executor, [self = shared_from_this()] { return self->write_loop(); }, log_unexpected);
}

asio::awaitable<void> LineConnection::read_loop() {
  auto self = shared_from_this();
  while (!closed_ && !closing_) {
    auto space = framer_.prepare(kReadChunk);
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(space.data(), space.size()),
                                                    asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    framer_.commit(n);
    std::string_view line;
    for (;;) {
      auto status = framer_.next(line);
      if (status == LineFramer::Status::kNeedMore) break;
      if (status == LineFramer::Status::kTooLong) {
        on_line_too_long();
        close_after_flush();
        co_return;
      }
      on_line(line);
      if (closed_ || closing_) co_return;
    }
    while (!closed_ && queued_bytes_ > limits_.max_queue_bytes / 2) {
      co_await queue_drained_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  // EOF or error: answers still queued are pointless to a peer that has gone, but a peer that
  // only half-closed its side still reads them.
  close_after_flush();
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
    auto [ec, n] =
        co_await asio::async_write(socket_, buffers, asio::as_tuple(asio::use_awaitable));
    queued_bytes_ -= bytes;
    queue_drained_.cancel();
    if (ec) break;
  }
  close();
}

void LineConnection::enqueue(std::string line) {
  line.push_back('\n');
  queued_bytes_ += line.size();
  queue_.push_back(std::move(line));
  wake_writer_.cancel();
}

void LineConnection::send(std::string line) {
  if (closed_) return;
  enqueue(std::move(line));
}

bool LineConnection::send_event(std::string line) {
  if (closed_ || closing_) return false;
  if (queued_bytes_ + line.size() + 1 > limits_.max_queue_bytes) {
    log(LogChannel::kRpc)
        .warn("closing slow subscriber: queue_bytes={} limit={}", queued_bytes_,
              limits_.max_queue_bytes);
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
    queue_drained_.cancel();
    for (const auto& line : queue_) queued_bytes_ -= line.size();  // in-flight bytes stay counted
    queue_.clear();
  }
  if (!closed_notified_) {
    closed_notified_ = true;
    on_closed();
  }
}

}  // namespace taskd
