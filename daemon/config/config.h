// The daemon's configuration as plain data: what taskd.toml says after validation, with
// relative paths resolved against the file's directory. No parsing library leaks out of here.
#pragma once

#include "common/error.h"
#include "daemon/config/exec_settings.h"
#include "daemon/config/session_settings.h"

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace taskd {

struct LogOptions;

struct DaemonSettings {
  std::string socket;  // address text (unix:PATH or PATH)
  unsigned socket_mode = 0600;
  std::string log_file;  // default <data_dir>/taskd.log
  std::string log_level = "info";
  std::string data_dir;
  std::size_t max_line_bytes = 1024 * 1024;
  std::size_t max_queue_bytes = 8 * 1024 * 1024;
  std::size_t max_connections = 1024;
  std::size_t max_total_queue_bytes = 256 * 1024 * 1024;  // all connections together
  std::int64_t idle_timeout_ms = 300'000;                 // 0: never
  // Unset: 52 in init mode, else off (rpc::effective_vsock_port); 0: no vsock listener.
  std::optional<std::uint32_t> vsock_port;
  std::vector<std::uint32_t> vsock_allow_cids = {2};
  std::string announce;  // vsock:2:PORT (or unix:PATH) to tell once ready; empty: off
  std::uint64_t log_maxbytes = 10 * 1024 * 1024;  // rotate log_file at this size; 0: never
  int log_backups = 5;                            // rotated copies of log_file kept

  bool operator==(const DaemonSettings&) const = default;
};

enum class AutoRestart { kNever, kUnexpected, kAlways };

struct OutputConfig {
  enum class Kind { kFile, kDiscard, kMergeIntoStdout };
  Kind kind = Kind::kFile;
  std::string path;                            // kFile only; may contain %(process_num)d
  std::uint64_t max_bytes = 50 * 1024 * 1024;  // 0: never rotate
  int backups = 10;

  bool operator==(const OutputConfig&) const = default;
};

struct ProgramConfig {
  std::string name;
  int line = 0;                  // where [programs.NAME] starts, for messages
  std::vector<std::string> cmd;  // may contain %(process_num)d
  int numprocs = 1;
  bool autostart = true;
  AutoRestart autorestart = AutoRestart::kUnexpected;
  std::vector<int> exitcodes = {0};
  std::int64_t starttime_ms = 1000;
  int startretries = 3;
  int stopsignal = 15;  // SIGTERM
  std::int64_t stoptime_ms = 10000;
  OutputConfig stdout_log;
  OutputConfig stderr_log;
  std::map<std::string, std::string> env;
  std::string workingdir;
  std::optional<mode_t> umask;
  std::string user;
  int priority = 999;
  bool stdin_pipe = false;

  bool operator==(const ProgramConfig&) const = default;
  // Everything but `line`: a program whose definition moved in the file is unchanged.
  bool same_definition(const ProgramConfig& other) const;
};

struct Config {
  std::string path;  // the file it came from; empty for built-in defaults
  DaemonSettings daemon;
  exec::ExecSettings exec;
  sessions::SessionSettings sessions;
  std::vector<ProgramConfig> programs;  // sorted by (priority, name)
};

// Built-in defaults for the current user (root: /run, /var/lib/taskd; others: XDG dirs).
Config default_config();

// Errors are kInvalidConfig with the message "FILE:LINE: what is wrong".
Result<Config> load_config(const std::string& path);
Result<Config> parse_config(std::string_view text, const std::string& path);

// How the daemon log is set up from [daemon] (file, level, rotation); include common/log.h.
LogOptions log_options(const DaemonSettings& daemon, bool to_stderr);

}  // namespace taskd
