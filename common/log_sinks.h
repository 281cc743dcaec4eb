// The daemon log's two sinks of our own:
// - GuardSink sits in front of the real sinks: it escapes every line (escape_for_log, so no
//   foreign text can forge a line or drive a terminal) and rate-limits floods of similar lines
//   at info and above (LogRateLimiter); debug and trace pass untouched, the operator asked.
// - RotatingLogSink appends to a file opened with open_log_file (never through a symlink) and
//   rotates it by size: FILE → FILE.1 → ... → FILE.backups (backups 0: truncate instead).
#pragma once

#include "common/error.h"
#include "common/log_rate_limit.h"
#include "common/unique_fd.h"

#include <spdlog/sinks/base_sink.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace taskd {

class GuardSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  GuardSink(std::vector<spdlog::sink_ptr> sinks, LogRateLimits limits = {});
  ~GuardSink() override;  // writes the summaries still pending

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;
  void set_pattern_(const std::string& pattern) override;
  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override;

 private:
  void forward(const spdlog::details::log_msg& msg);
  void write_summaries(std::vector<LogRateLimiter::Summary> summaries,
                       spdlog::log_clock::time_point time);

  std::vector<spdlog::sink_ptr> sinks_;
  LogRateLimiter limiter_;
};

class RotatingLogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // max_bytes 0: never rotate.
  static Result<std::shared_ptr<RotatingLogSink>> open(const std::string& path,
                                                       std::uint64_t max_bytes, int backups);

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}  // every line is one write(2); nothing is buffered here

 private:
  RotatingLogSink(std::string path, UniqueFd fd, std::uint64_t size, std::uint64_t max_bytes,
                  int backups);
  void rotate();

  std::string path_;
  UniqueFd fd_;
  std::uint64_t size_;
  std::uint64_t max_bytes_;
  int backups_;
};

}  // namespace taskd
