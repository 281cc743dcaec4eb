// A program's output log: appends, rotates by size (NAME → NAME.1 → ... → NAME.backups), and
// can be shared by several processes (numprocs instances writing one file). Writes go to the
// offset the log tracks (pwrite/splice; splice cannot target O_APPEND files), on the event loop:
// the page cache absorbs them. Truncating the file behind taskd's back leaves a hole; use
// `taskctl clear`. Opened through common/log_file_open.h: never through a symlink, regular
// files only, created 0640.
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace taskd::process {

class LogFile {
 public:
  static Result<std::shared_ptr<LogFile>> open(const std::string& path, std::uint64_t max_bytes,
                                               int backups);

  Result<void> write(std::string_view data);
  // Moves up to `max` bytes from a non-blocking pipe into the log with splice(2) (read and write
  // where the file system cannot splice). Returns the bytes moved, 0 at EOF, -1 when the pipe is
  // empty. Never crosses a rotation boundary in one call.
  Result<long> splice_from(int pipe_fd, std::size_t max);
  // Empties the log (taskctl clear); backups are kept.
  Result<void> truncate();
  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }
  void set_limits(std::uint64_t max_bytes, int backups);

 private:
  LogFile(std::string path, UniqueFd fd, std::uint64_t size, std::uint64_t max_bytes, int backups);
  Result<void> rotate();

  std::string path_;
  UniqueFd fd_;
  std::uint64_t size_;
  std::uint64_t max_bytes_;
  int backups_;
  bool can_splice_ = true;
};

// One LogFile per path, shared while anyone uses it.
class LogFileRegistry {
 public:
  Result<std::shared_ptr<LogFile>> get(const std::string& path, std::uint64_t max_bytes,
                                       int backups);

 private:
  std::map<std::string, std::weak_ptr<LogFile>> files_;
};

}  // namespace taskd::process
