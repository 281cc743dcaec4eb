// Splits a byte stream into '\n'-terminated lines with a maximum line length. Pure: the caller
// reads into prepare()/commit() and drains next(); no I/O happens here.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace taskd {

inline constexpr std::size_t kDefaultMaxLineBytes = 1024 * 1024;

class LineFramer {
 public:
  enum class Status { kLine, kNeedMore, kTooLong };

  explicit LineFramer(std::size_t max_line_bytes = kDefaultMaxLineBytes);

  // Writable space of at least `n` bytes at the end of the buffer; then commit() what was read.
  // Invalidates any line returned by next().
  std::span<char> prepare(std::size_t n);
  void commit(std::size_t n);
  void append(std::string_view bytes);

  // kLine: `line` holds the next line without its '\n', valid until prepare()/append().
  // kTooLong: a line (complete or not) exceeds the limit; the stream cannot be resynchronised.
  Status next(std::string_view& line);

  // Removes and returns the unterminated bytes (after kTooLong, for callers that pass over-long
  // lines on in pieces instead of giving up on the stream).
  std::string take_buffered();

  std::size_t max_line_bytes() const { return max_; }
  std::size_t buffered() const { return size_ - start_; }

 private:
  void compact();

  std::size_t max_;
  std::string buffer_;     // capacity region; [start_, size_) holds unconsumed bytes
  std::size_t start_ = 0;  // first unconsumed byte
  std::size_t scan_ = 0;   // bytes before this offset hold no '\n'
  std::size_t size_ = 0;   // bytes of buffer_ in use
};

}  // namespace taskd
