#include "daemon/supervisor/output_pump.h"

#include "common/log.h"
#include "daemon/supervisor/log_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace taskd::supervisor {
namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr int kBigPipe = 1024 * 1024;

// One buffer for every pump: each read is consumed by its sink before the handler returns, and
// the loop has one thread, so nothing else can write into it meanwhile.
char* shared_buffer() {
  static char buffer[kChunk];
  return buffer;
}

}  // namespace

OutputPump::OutputPump(boost::asio::io_context& io, UniqueFd pipe, OnData on_data, OnEnd on_end)
    : pipe_(io, pipe.release()), on_data_(std::move(on_data)), on_end_(std::move(on_end)) {}

std::shared_ptr<OutputPump> OutputPump::start(boost::asio::io_context& io, UniqueFd pipe,
                                              OnData on_data, OnEnd on_end) {
  auto pump =
      std::make_shared<OutputPump>(io, std::move(pipe), std::move(on_data), std::move(on_end));
  // Never read inside start(): the caller may still be wiring up what the sink needs.
  pump->wait_readable();
  return pump;
}

std::shared_ptr<OutputPump> OutputPump::start_to_file(boost::asio::io_context& io, UniqueFd pipe,
                                                      std::shared_ptr<LogFile> file) {
  auto pump = std::make_shared<OutputPump>(io, std::move(pipe), nullptr, nullptr);
  pump->file_ = std::move(file);
  pump->wait_readable();
  return pump;
}

void OutputPump::grow_pipe_if_full(std::size_t just_read) {
  int fd = pipe_.native_handle();
  if (capacity_ == 0) capacity_ = static_cast<std::size_t>(std::max(::fcntl(fd, F_GETPIPE_SZ), 0));
  if (just_read < capacity_ || capacity_ >= static_cast<std::size_t>(kBigPipe)) return;
  int grown = ::fcntl(fd, F_SETPIPE_SZ, kBigPipe);  // may fail past the per-user pipe quota
  if (grown > 0) capacity_ = static_cast<std::size_t>(grown);
}

void OutputPump::wait_readable() {
  pipe_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                   [self = shared_from_this()](const boost::system::error_code& ec) {
                     if (self->finished_) return;
                     if (ec) return self->finish();
                     self->read_once();
                   });
}

void OutputPump::read_once() {
  ssize_t n;
  if (file_) {
    auto moved = file_->splice_from(pipe_.native_handle(), kBigPipe);
    if (!moved) {
      log(LogChannel::kSup).error("{}; discarding the rest of this output", moved.error().message);
      file_.reset();  // keep draining, into nothing, so the child never blocks
      return read_once();
    }
    n = *moved;
  } else {
    do {
      n = ::read(pipe_.native_handle(), shared_buffer(), kChunk);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) n = 0;  // a broken pipe ends like EOF
    if (n > 0 && on_data_) on_data_(std::string_view(shared_buffer(), static_cast<std::size_t>(n)));
  }
  if (n < 0) return wait_readable();  // nothing there yet
  if (n == 0) return finish();        // EOF: every writer closed the pipe
  if (finished_) return;              // the sink may have stopped us
  grow_pipe_if_full(static_cast<std::size_t>(n));
  wait_readable();
}

void OutputPump::finish() {
  if (finished_) return;
  finished_ = true;
  boost::system::error_code ignored;
  pipe_.close(ignored);
  if (auto on_end = std::move(on_end_)) on_end();
}

void OutputPump::stop() {
  finished_ = true;
  on_data_ = nullptr;
  on_end_ = nullptr;
  boost::system::error_code ignored;
  pipe_.close(ignored);
}

}  // namespace taskd::supervisor
