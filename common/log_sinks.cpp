#include "common/log_sinks.h"

#include "common/log_escape.h"
#include "common/log_file_open.h"

#include <spdlog/pattern_formatter.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string_view>

namespace taskd {

GuardSink::GuardSink(std::vector<spdlog::sink_ptr> sinks, LogRateLimits limits)
    : sinks_(std::move(sinks)), limiter_(limits) {}

GuardSink::~GuardSink() {
  std::lock_guard<std::mutex> lock(mutex_);
  write_summaries(limiter_.flush(), spdlog::log_clock::now());
}

void GuardSink::forward(const spdlog::details::log_msg& msg) {
  for (auto& target : sinks_) {
    if (target->should_log(msg.level)) target->log(msg);
  }
}

void GuardSink::write_summaries(std::vector<LogRateLimiter::Summary> summaries,
                                spdlog::log_clock::time_point time) {
  for (const auto& summary : summaries) {
    forward(spdlog::details::log_msg(time, spdlog::source_loc{}, summary.logger,
                                     static_cast<spdlog::level::level_enum>(summary.level),
                                     summary.text));
  }
}

void GuardSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::details::log_msg safe = msg;
  std::string escaped;
  std::string_view payload(msg.payload.data(), msg.payload.size());
  if (needs_log_escape(payload)) {
    escaped = escape_for_log(payload);
    safe.payload = escaped;
  }
  if (msg.level >= spdlog::level::info) {
    std::string_view logger(msg.logger_name.data(), msg.logger_name.size());
    bool admitted =
        limiter_.admit(logger, static_cast<int>(msg.level),
                       std::string_view(safe.payload.data(), safe.payload.size()), msg.time);
    write_summaries(limiter_.take_summaries(), msg.time);
    if (!admitted) return;
  }
  forward(safe);
}

void GuardSink::flush_() {
  for (auto& target : sinks_) target->flush();
}

void GuardSink::set_pattern_(const std::string& pattern) {
  for (auto& target : sinks_) target->set_pattern(pattern);
}

void GuardSink::set_formatter_(std::unique_ptr<spdlog::formatter> formatter) {
  for (auto& target : sinks_) target->set_formatter(formatter->clone());
}

RotatingLogSink::RotatingLogSink(std::string path, UniqueFd fd, std::uint64_t size,
                                 std::uint64_t max_bytes, int backups)
    : path_(std::move(path)),
      fd_(std::move(fd)),
      size_(size),
      max_bytes_(max_bytes),
      backups_(backups) {}

Result<std::shared_ptr<RotatingLogSink>> RotatingLogSink::open(const std::string& path,
                                                               std::uint64_t max_bytes,
                                                               int backups) {
  auto fd = open_log_file(path, true);
  if (!fd) return fd.error();
  struct stat st {};
  ::fstat(fd->get(), &st);
  return std::shared_ptr<RotatingLogSink>(new RotatingLogSink(
      path, std::move(*fd), static_cast<std::uint64_t>(st.st_size), max_bytes, backups));
}

// On any failure the old file stays in use (the log is never lost for a rename error) and the
// next attempt waits for another max_bytes.
void RotatingLogSink::rotate() {
  size_ = 0;
  if (backups_ == 0) {
    [[maybe_unused]] int ignored = ::ftruncate(fd_.get(), 0);  // O_APPEND: writes go to 0 next
    return;
  }
  for (int i = backups_ - 1; i >= 1; --i) {
    std::string from = path_ + "." + std::to_string(i);
    ::rename(from.c_str(), (path_ + "." + std::to_string(i + 1)).c_str());
  }
  if (::rename(path_.c_str(), (path_ + ".1").c_str()) != 0) return;
  if (auto fd = open_log_file(path_, true)) fd_ = std::move(*fd);
}

void RotatingLogSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t line;
  formatter_->format(msg, line);
  if (max_bytes_ > 0 && size_ > 0 && size_ + line.size() > max_bytes_) rotate();
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_.get(), data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk: the line is lost; there is nowhere to say so
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  size_ += line.size();
}

}  // namespace taskd
