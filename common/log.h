// Named spdlog loggers shared by the daemon's modules, all writing to the same sinks.
// setup_logging() may be called again (e.g. after the daemon forks) to replace the sinks.
// Every line is escaped (no foreign text can forge a line) and floods of similar lines are
// rate-limited before they reach the sinks (common/log_sinks.h).
#pragma once

#include "common/error.h"

#include <spdlog/logger.h>

#include <cstdint>
#include <string>

namespace taskd {

enum class LogChannel { kMain, kRpc, kSup, kTask, kCfg, kExec, kSess };

struct LogOptions {
  std::string file;  // empty: no file sink
  std::string level = "info";
  bool to_stderr = true;
  std::uint64_t max_bytes = 10 * 1024 * 1024;  // rotate the file at this size; 0: never
  int backups = 5;                             // rotated files kept (FILE.1 newest)
};

Result<void> setup_logging(const LogOptions& options);
spdlog::logger& log(LogChannel channel);

// Validates a level name ("trace", "debug", "info", "warn", "error", "critical", "off").
bool is_log_level(const std::string& name);

}  // namespace taskd
