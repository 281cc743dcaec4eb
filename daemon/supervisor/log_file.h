// A program's output log: appends, rotates by size (NAME → NAME.1 → ... → NAME.backups), and
// can be shared by several processes (numprocs instances writing one file). Writes are plain
// write(2) to a regular file on the event loop: the page cache absorbs them.
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace taskd::supervisor {

class LogFile {
 public:
  static Result<std::shared_ptr<LogFile>> open(const std::string& path, std::uint64_t max_bytes,
                                               int backups);

  Result<void> write(std::string_view data);
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
};

// One LogFile per path, shared while anyone uses it.
class LogFileRegistry {
 public:
  Result<std::shared_ptr<LogFile>> get(const std::string& path, std::uint64_t max_bytes, int backups);

 private:
  std::map<std::string, std::weak_ptr<LogFile>> files_;
};

}  // namespace taskd::supervisor
