#include "common/line_framer.h"

#include <cstring>

namespace taskd {

LineFramer::LineFramer(std::size_t max_line_bytes) : max_(max_line_bytes) {}

void LineFramer::compact() {
  if (start_ == 0) return;
  std::memmove(buffer_.data(), buffer_.data() + start_, size_ - start_);
  size_ -= start_;
  scan_ -= start_;
  start_ = 0;
}

std::span<char> LineFramer::prepare(std::size_t n) {
  compact();
  if (buffer_.size() < size_ + n) buffer_.resize(size_ + n);
  return {buffer_.data() + size_, buffer_.size() - size_};
}

void LineFramer::commit(std::size_t n) { size_ += n; }

void LineFramer::append(std::string_view bytes) {
  auto space = prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

LineFramer::Status LineFramer::next(std::string_view& line) {
  const char* base = buffer_.data();
  const void* found = scan_ < size_ ? std::memchr(base + scan_, '\n', size_ - scan_) : nullptr;
  if (!found) {
    scan_ = size_;
    return size_ - start_ > max_ ? Status::kTooLong : Status::kNeedMore;
  }
  std::size_t end = static_cast<const char*>(found) - base;
  if (end - start_ > max_) return Status::kTooLong;
  line = std::string_view(base + start_, end - start_);
  start_ = scan_ = end + 1;
  if (start_ == size_) start_ = scan_ = size_ = 0;  // cheap reset, no memmove next time
  return Status::kLine;
}

std::string LineFramer::take_buffered() {
  std::string rest(buffer_.data() + start_, size_ - start_);
  start_ = scan_ = size_ = 0;
  return rest;
}

}  // namespace taskd
