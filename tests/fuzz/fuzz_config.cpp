// Fuzzes the taskd.toml loader (daemon/config) the way `taskd -c FILE` and every reload use it:
// the file's text in, a Config or an error naming the file and line out. An accepted config is
// then expanded into process instances (%(process_num)d and friends), as the supervisor does.
#include "daemon/config/config.h"
#include "daemon/supervisor/instance_spec.h"
#include "fuzz_check.h"

#include <string>
#include <string_view>

namespace {

constexpr std::string_view kPath = "/etc/taskd/fuzz.toml";

void check_error(const taskd::Error& error) {
  FUZZ_CHECK(error.code == taskd::ErrorCode::kInvalidConfig, "config errors are INVALID_CONFIG");
  FUZZ_CHECK(error.message.starts_with(std::string(kPath) + ":"), "errors name the file");
}

void check_config(const taskd::Config& config) {
  const taskd::DaemonSettings& daemon = config.daemon;
  FUZZ_CHECK(daemon.max_line_bytes >= 1024, "max_line_bytes has a floor");
  FUZZ_CHECK(daemon.max_queue_bytes >= 4096, "max_queue_bytes has a floor");
  FUZZ_CHECK(daemon.max_connections >= 1, "max_connections has a floor");
  for (const taskd::ProgramConfig& program : config.programs) {
    FUZZ_CHECK(!program.cmd.empty() && !program.cmd.front().empty(), "a program has a command");
    FUZZ_CHECK(program.numprocs >= 1 && program.numprocs <= 1000, "numprocs in range");
    FUZZ_CHECK(program.starttime_ms >= 0 && program.stoptime_ms >= 0, "durations not negative");
  }
  auto instances = taskd::supervisor::expand_instances(config.programs);
  if (!instances) return;
  for (const auto& instance : *instances) FUZZ_CHECK(!instance.name.empty(), "instances named");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = taskd::parse_config(text, std::string(kPath));
  if (!config) {
    check_error(config.error());
    return 0;
  }
  check_config(*config);
  return 0;
}
