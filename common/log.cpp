#include "common/log.h"

#include "common/log_sinks.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <memory>

namespace taskd {
namespace {

constexpr std::array<const char*, 7> kChannelNames = {"taskd", "rpc",  "sup", "task",
                                                      "cfg",   "exec", "sess"};

std::array<std::shared_ptr<spdlog::logger>, kChannelNames.size()>& loggers() {
  static std::array<std::shared_ptr<spdlog::logger>, kChannelNames.size()> all = [] {
    std::array<std::shared_ptr<spdlog::logger>, kChannelNames.size()> created;
    auto err = std::make_shared<GuardSink>(
        std::vector<spdlog::sink_ptr>{std::make_shared<spdlog::sinks::stderr_sink_mt>()});
    for (std::size_t i = 0; i < created.size(); ++i) {
      created[i] = std::make_shared<spdlog::logger>(kChannelNames[i], err);
      created[i]->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v");
    }
    return created;
  }();
  return all;
}

}  // namespace

bool is_log_level(const std::string& name) {
  return name == "off" || spdlog::level::from_str(name) != spdlog::level::off;
}

Result<void> setup_logging(const LogOptions& options) {
  if (!is_log_level(options.level)) {
    return make_error(ErrorCode::kInvalidConfig, "unknown log level '" + options.level + "'");
  }
  std::vector<spdlog::sink_ptr> sinks;
  if (!options.file.empty()) {
    auto file = RotatingLogSink::open(options.file, options.max_bytes, options.backups);
    if (!file) return file.error();
    sinks.push_back(*file);
  }
  if (options.to_stderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto guard = std::make_shared<GuardSink>(std::move(sinks));
  auto level = spdlog::level::from_str(options.level);
  for (auto& logger : loggers()) {
    logger->sinks() = {guard};
    logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v");
    logger->set_level(level);
    logger->flush_on(spdlog::level::trace);  // the log is tailed live (maintail -f)
  }
  return {};
}

spdlog::logger& log(LogChannel channel) { return *loggers()[static_cast<std::size_t>(channel)]; }

}  // namespace taskd
