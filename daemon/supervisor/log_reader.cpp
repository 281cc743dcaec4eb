#include "daemon/supervisor/log_reader.h"

#include "common/text_encoding.h"
#include "common/unique_fd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace taskd::supervisor {

Result<LogSlice> read_log_slice(const std::string& path, std::optional<std::int64_t> offset,
                                std::int64_t length) {
  LogSlice slice;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return slice;  // nothing written yet
    return make_error(ErrorCode::kIo, "failed to open " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  ::fstat(fd.get(), &st);
  slice.size = st.st_size;
  std::int64_t start;
  if (!offset) {
    start = std::max<std::int64_t>(0, slice.size - length);
  } else if (*offset < 0) {
    start = std::max<std::int64_t>(0, slice.size + *offset);
  } else if (*offset > slice.size) {
    slice.reset = true;
    start = 0;
  } else {
    start = *offset;
  }
  std::int64_t count = std::min(length, slice.size - start);
  slice.data.resize(static_cast<std::size_t>(count));
  ssize_t n = ::pread(fd.get(), slice.data.data(), slice.data.size(), start);
  if (n < 0)
    return make_error(ErrorCode::kIo, "failed to read " + path + ": " + std::strerror(errno));
  slice.data.resize(static_cast<std::size_t>(n));
  // A slice cut out of a text log should not start or end inside a character.
  std::size_t skip =
      (offset && *offset >= 0 && !slice.reset) ? 0 : utf8_continuation_prefix(slice.data);
  std::size_t keep = utf8_complete_prefix(slice.data);
  if (keep >= skip && is_valid_utf8(std::string_view(slice.data).substr(skip, keep - skip))) {
    slice.data = slice.data.substr(skip, keep - skip);
    start += static_cast<std::int64_t>(skip);
  } else {
    slice.is_text = false;
  }
  slice.offset = start;
  slice.next_offset = start + static_cast<std::int64_t>(slice.data.size());
  return slice;
}

}  // namespace taskd::supervisor
