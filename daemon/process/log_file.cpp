#include "daemon/process/log_file.h"

#include "common/log_file_open.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace taskd::process {
namespace {

Error io_error(const std::string& what, const std::string& path) {
  return make_error(ErrorCode::kIo, what + " " + path + ": " + std::strerror(errno));
}

// Not O_APPEND: writes go to the offset the log tracks (splice cannot target O_APPEND files).
Result<UniqueFd> open_for_log(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  return open_log_file(path, false);
}

}  // namespace

LogFile::LogFile(std::string path, UniqueFd fd, std::uint64_t size, std::uint64_t max_bytes,
                 int backups)
    : path_(std::move(path)),
      fd_(std::move(fd)),
      size_(size),
      max_bytes_(max_bytes),
      backups_(backups) {}

Result<std::shared_ptr<LogFile>> LogFile::open(const std::string& path, std::uint64_t max_bytes,
                                               int backups) {
  auto fd = open_for_log(path);
  if (!fd) return fd.error();
  struct stat st {};
  ::fstat(fd->get(), &st);
  return std::shared_ptr<LogFile>(new LogFile(
      path, std::move(*fd), static_cast<std::uint64_t>(st.st_size), max_bytes, backups));
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
      if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT)
        return io_error("failed to rotate", from);
    }
    if (::rename(path_.c_str(), (path_ + ".1").c_str()) != 0 && errno != ENOENT) {
      return io_error("failed to rotate", path_);
    }
  } else if (auto truncated = truncate_log_file(path_); !truncated) {
    return truncated;
  }
  auto fd = open_for_log(path_);
  if (!fd) return fd.error();
  fd_ = std::move(*fd);
  size_ = 0;
  return {};
}

Result<void> LogFile::write(std::string_view data) {
  while (!data.empty()) {
    if (!fd_) {
      auto fd = open_for_log(path_);
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
    ssize_t n = ::pwrite(fd_.get(), chunk.data(), chunk.size(), static_cast<off_t>(size_));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("failed to write log file", path_);
    }
    size_ += static_cast<std::uint64_t>(n);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<long> LogFile::splice_from(int pipe_fd, std::size_t max) {
  if (!fd_) {
    auto fd = open_for_log(path_);
    if (!fd) return fd.error();
    fd_ = std::move(*fd);
  }
  if (max_bytes_ > 0) {
    if (size_ >= max_bytes_) {
      if (auto rotated = rotate(); !rotated) return rotated.error();
    }
    max = static_cast<std::size_t>(std::min<std::uint64_t>(max, max_bytes_ - size_));
  }
  ssize_t n = -1;
  if (can_splice_) {
    loff_t offset = static_cast<loff_t>(size_);
    do {
      n = ::splice(pipe_fd, nullptr, fd_.get(), &offset, max, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EINVAL) can_splice_ = false;  // this file system cannot splice
  }
  if (!can_splice_) {
    static char buffer[64 * 1024];
    do {
      n = ::read(pipe_fd, buffer, std::min(max, sizeof buffer));
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
      std::uint64_t before = size_;
      if (auto written = write(std::string_view(buffer, static_cast<std::size_t>(n))); !written) {
        return written.error();
      }
      size_ = before;  // write() already counted; recounted below
    }
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return -1L;
    if (errno == EPIPE) return 0L;
    return io_error("failed to move output into", path_);
  }
  size_ += static_cast<std::uint64_t>(n);
  return static_cast<long>(n);
}

Result<void> LogFile::truncate() {
  if (fd_ && ::ftruncate(fd_.get(), 0) != 0) return io_error("failed to truncate", path_);
  if (!fd_) {
    if (auto truncated = truncate_log_file(path_); !truncated) return truncated;
  }
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

}  // namespace taskd::process
