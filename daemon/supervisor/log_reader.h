// Reading a slice of a program's log file for programs.tail, without blocking on a huge file:
// one pread of at most `length` bytes, trimmed to whole UTF-8 characters when the log is text.
#pragma once

#include "common/error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace taskd::supervisor {

struct LogSlice {
  std::string data;
  bool is_text = true;      // false: `data` holds bytes that are not UTF-8
  std::int64_t offset = 0;  // where `data` starts in the file
  std::int64_t next_offset = 0;
  std::int64_t size = 0;  // current file size
  bool reset = false;     // the requested offset was past the end (the log was rotated or cleared)
};

// offset: absent = the last `length` bytes; negative = that many bytes before the end.
Result<LogSlice> read_log_slice(const std::string& path, std::optional<std::int64_t> offset,
                                std::int64_t length);

}  // namespace taskd::supervisor
