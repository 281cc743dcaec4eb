#include "daemon/process/output_pump.h"

#include "common/log.h"
#include "daemon/process/log_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace taskd::process {
namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr int kBigPipe = 1024 * 1024;
constexpr auto kRetryFileEvery = std::chrono::seconds(1);

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
                                                      std::shared_ptr<LogFile> file,
                                                      FileSinkReport report) {
  auto pump = std::make_shared<OutputPump>(io, std::move(pipe), nullptr, nullptr);
  pump->file_ = std::move(file);
  pump->report_ = std::move(report);
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

// Bytes moved, 0 at EOF, -1 when the pipe is empty (as LogFile::splice_from).
long OutputPump::move_to_file() {
  if (dropping_ && std::chrono::steady_clock::now() < retry_at_) return drop_once();
  auto moved = file_->splice_from(pipe_.native_handle(), kBigPipe);
  if (!moved) {
    start_dropping(moved.error().message);
    return drop_once();  // keep draining, into nothing, so the child never blocks
  }
  if (dropping_ && *moved > 0) {
    dropping_ = false;
    OutputLoss resumed{true, "", dropped_now_};
    dropped_now_ = 0;
    if (report_.on_loss) {
      report_.on_loss(resumed);
    } else {
      log(LogChannel::kSup)
          .warn("output reaches {} again; {} bytes were dropped", file_->path(),
                resumed.dropped_bytes);
    }
  }
  return *moved;
}

void OutputPump::start_dropping(const std::string& error) {
  retry_at_ = std::chrono::steady_clock::now() + kRetryFileEvery;
  if (dropping_) return;  // a retry that failed again: already reported
  dropping_ = true;
  if (report_.on_loss) {
    report_.on_loss(OutputLoss{false, error, 0});
  } else {
    log(LogChannel::kSup).error("{}; dropping output until it can be written", error);
  }
}

long OutputPump::drop_once() {
  long n = read_to_sink();
  if (n <= 0) return n;
  dropped_now_ += static_cast<std::uint64_t>(n);
  if (report_.dropped_bytes) *report_.dropped_bytes += static_cast<std::uint64_t>(n);
  return n;
}

// Reads one chunk into the shared buffer and hands it to on_data_ (if any).
long OutputPump::read_to_sink() {
  ssize_t n;
  do {
    n = ::read(pipe_.native_handle(), shared_buffer(), kChunk);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) n = 0;  // a broken pipe ends like EOF
  if (n > 0 && on_data_) on_data_(std::string_view(shared_buffer(), static_cast<std::size_t>(n)));
  return n;
}

void OutputPump::read_once() {
  long n = file_ ? move_to_file() : read_to_sink();
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

}  // namespace taskd::process
