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

// toml++ 3.3.0 (Debian 12) reaches __builtin_unreachable in is_non_ascii_horizontal_whitespace
// for these code points wherever it checks for whitespace (upstream issues #190 and #295, fixed
// by PR #305, later than Debian's version). Outside taskd's code: the fuzzer replaces them by
// '?' bytes to go on looking for taskd's bugs. tests/unit/fuzz_findings_test.cpp checks that
// the shipped builds give a clear error (or the right value) for them.
bool hits_toml_whitespace_bug(char32_t c) {
  return (c >= 0xA1 && c <= 0x499) || (c >= 0x2C5E && c <= 0x2FFF) ||
         (c >= 0x3001 && c <= 0x3057) || (c >= 0xFB26 && c <= 0xFEFE);
}

std::string without_toml_whitespace_bug(std::string text) {
  auto continuation = [&](std::size_t i) {
    return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3 : 0;
    if (length == 0 || !continuation(i + 1) || (length == 3 && !continuation(i + 2))) continue;
    char32_t c = length == 2
                     ? (lead & 0x1Fu) << 6 | (text[i + 1] & 0x3Fu)
                     : (lead & 0x0Fu) << 12 | (text[i + 1] & 0x3Fu) << 6 | (text[i + 2] & 0x3Fu);
    if (hits_toml_whitespace_bug(c)) text.replace(i, length, length, '?');
    i += length - 1;
  }
  return text;
}

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
  std::string text =
      without_toml_whitespace_bug(std::string(reinterpret_cast<const char*>(data), size));
  auto config = taskd::parse_config(text, std::string(kPath));
  if (!config) {
    check_error(config.error());
    return 0;
  }
  check_config(*config);
  return 0;
}
