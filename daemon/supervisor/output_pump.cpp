#include "daemon/supervisor/output_pump.h"

namespace taskd::supervisor {
namespace {
constexpr std::size_t kChunk = 64 * 1024;
}

OutputPump::OutputPump(boost::asio::io_context& io, UniqueFd pipe, OnData on_data, OnEnd on_end)
    : pipe_(io, pipe.release()),
      on_data_(std::move(on_data)),
      on_end_(std::move(on_end)),
      buffer_(new char[kChunk]) {}

std::shared_ptr<OutputPump> OutputPump::start(boost::asio::io_context& io, UniqueFd pipe,
                                              OnData on_data, OnEnd on_end) {
  auto pump = std::make_shared<OutputPump>(io, std::move(pipe), std::move(on_data), std::move(on_end));
  pump->read_more();
  return pump;
}

void OutputPump::read_more() {
  pipe_.async_read_some(
      boost::asio::buffer(buffer_.get(), kChunk),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (self->finished_) return;
        if (n > 0 && self->on_data_) self->on_data_(std::string_view(self->buffer_.get(), n));
        if (self->finished_) return;  // the sink may have stopped us
        if (ec) {
          self->finished_ = true;
          boost::system::error_code ignored;
          self->pipe_.close(ignored);
          if (auto on_end = std::move(self->on_end_)) on_end();
          return;
        }
        self->read_more();
      });
}

void OutputPump::stop() {
  finished_ = true;
  on_data_ = nullptr;
  on_end_ = nullptr;
  boost::system::error_code ignored;
  pipe_.close(ignored);
}

}  // namespace taskd::supervisor
