#include "daemon/supervisor/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace taskd::supervisor {
namespace {

Error io_error(const std::string& what, const std::string& path) {
  return make_error(ErrorCode::kIo, what + " " + path + ": " + std::strerror(errno));
}

Result<UniqueFd> open_append(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd) return io_error("failed to open log file", path);
  return fd;
}

}  // namespace

LogFile::LogFile(std::string path, UniqueFd fd, std::uint64_t size, std::uint64_t max_bytes,
                 int backups)
    : path_(std::move(path)), fd_(std::move(fd)), size_(size), max_bytes_(max_bytes), backups_(backups) {}

Result<std::shared_ptr<LogFile>> LogFile::open(const std::string& path, std::uint64_t max_bytes,
                                               int backups) {
  auto fd = open_append(path);
  if (!fd) return fd.error();
  struct stat st{};
  ::fstat(fd->get(), &st);
  return std::shared_ptr<LogFile>(
      new LogFile(path, std::move(*fd), static_cast<std::uint64_t>(st.st_size), max_bytes, backups));
}

void LogFile::set_limits(std::uint64_t max_bytes, int backups) {
  max_bytes_ = max_bytes;
  backups_ = backups;
}

Result<void> LogFile::rotate() {
  fd_.reset();
  if (backups_ > 0) {
    for (int i = backups_ - 1; i >= 1; --i) {
      std::string from = path_ + "." + std::to_string(i);
      std::string to = path_ + "." + std::to_string(i + 1);
      if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) return io_error("failed to rotate", from);
    }
    if (::rename(path_.c_str(), (path_ + ".1").c_str()) != 0 && errno != ENOENT) {
      return io_error("failed to rotate", path_);
    }
  } else if (::truncate(path_.c_str(), 0) != 0 && errno != ENOENT) {
    return io_error("failed to truncate", path_);
  }
  auto fd = open_append(path_);
  if (!fd) return fd.error();
  fd_ = std::move(*fd);
  size_ = 0;
  return {};
}

Result<void> LogFile::write(std::string_view data) {
  while (!data.empty()) {
    if (!fd_) {
      auto fd = open_append(path_);
      if (!fd) return fd.error();
      fd_ = std::move(*fd);
    }
    std::string_view chunk = data;
    if (max_bytes_ > 0) {
      if (size_ >= max_bytes_) {
        if (auto rotated = rotate(); !rotated) return rotated;
      }
      chunk = data.substr(0, static_cast<std::size_t>(max_bytes_ - size_));
    }
    ssize_t n = ::write(fd_.get(), chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("failed to write log file", path_);
    }
    size_ += static_cast<std::uint64_t>(n);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<void> LogFile::truncate() {
  if (fd_ && ::ftruncate(fd_.get(), 0) != 0) return io_error("failed to truncate", path_);
  size_ = 0;
  return {};
}

Result<std::shared_ptr<LogFile>> LogFileRegistry::get(const std::string& path,
                                                      std::uint64_t max_bytes, int backups) {
  if (auto existing = files_[path].lock()) {
    existing->set_limits(max_bytes, backups);
    return existing;
  }
  auto opened = LogFile::open(path, max_bytes, backups);
  if (!opened) return opened.error();
  std::erase_if(files_, [](const auto& entry) { return entry.second.expired(); });
  files_[path] = *opened;
  return opened;
}

}  // namespace taskd::supervisor
