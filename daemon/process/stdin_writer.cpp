#include "daemon/process/stdin_writer.h"

#include <boost/asio/write.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace taskd::process {
namespace asio = boost::asio;

StdinWriter::StdinWriter(asio::io_context& io, UniqueFd pipe) : pipe_(io, pipe.release()) {
  boost::system::error_code ignored;
  pipe_.non_blocking(true, ignored);  // write_some must never block the daemon's only thread
}

bool StdinWriter::write(std::string bytes) {
  if (!is_open()) return false;
  queue_.push_back(std::move(bytes));
  flush();
  return true;
}

void StdinWriter::close_after_writes() {
  closing_ = true;
  if (!writing_ && queue_.empty()) close();
}

void StdinWriter::close() {
  queue_.clear();
  boost::system::error_code ignored;
  pipe_.close(ignored);
}

void StdinWriter::flush() {
  if (writing_ || queue_.empty() || !pipe_.is_open()) return;
  writing_ = true;
  asio::async_write(pipe_, asio::buffer(queue_.front()),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->writing_ = false;
                      if (ec) return self->close();  // EPIPE: nothing will take input again
                      self->queue_.pop_front();
                      if (self->queue_.empty() && self->closing_) return self->close();
                      self->flush();
                    });
}

Result<std::size_t> StdinWriter::write_some(std::string_view data) {
  if (writing_ || !queue_.empty()) return std::size_t{0};
  std::size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(pipe_.native_handle(), data.data() + written, data.size() - written);
    if (n > 0) {
      written += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      int error = errno;
      close();
      return make_error(ErrorCode::kIo,
                        std::string("cannot write to stdin: ") + std::strerror(error));
    }
  }
  return written;
}

}  // namespace taskd::process
