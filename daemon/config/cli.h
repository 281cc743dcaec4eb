// taskd's command line. Parsing is pure so it is unit-tested; main() acts on the result.
#pragma once

#include "common/error.h"

#include <optional>
#include <string>
#include <vector>

namespace taskd {

struct CliOptions {
  std::string config_path;  // empty: /etc/taskd.toml when it exists, else built-in defaults
  bool config_explicit = false;
  std::optional<std::string> socket_override;  // -s ADDR
  bool foreground = false;
  bool init_mode = false;   // --init, or implied when running as PID 1
  bool check_only = false;  // --check: validate the config and exit
  int ready_fd = -1;
  int daemon_pipe_fd = -1;  // set by daemonize(): the waiting parent's pipe
  bool show_help = false;
  bool show_version = false;
};

// Documented exit codes of taskd (docs/architecture.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitBadConfig = 3;
inline constexpr int kExitAlreadyRunning = 4;

Result<CliOptions> parse_cli(const std::vector<std::string>& args);
std::string cli_usage();

}  // namespace taskd
