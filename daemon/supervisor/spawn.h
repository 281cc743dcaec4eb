// The one place that starts child processes (services, execs, task processes, agents).
// The child gets its own session and process group, a clean signal mask and default signal
// dispositions, only fds 0-2 (everything else is closed), stdin from /dev/null unless a pipe is
// asked for, and the given environment, cwd, umask and user. A failure before exec (missing
// binary, no permission, bad user or cwd) is reported to the parent with errno text, never as a
// child that silently exits.
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace taskd::supervisor {

enum class StdinMode { kNull, kPipe };
enum class OutputMode { kPipe, kNull, kFd, kSameAsStdout };

struct OutputSpec {
  OutputMode mode = OutputMode::kPipe;
  int fd = -1;  // kFd: duplicated into the child; the caller keeps ownership
};

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  std::vector<std::string> env;   // complete environment, "NAME=value"
  std::string cwd;                // empty: inherit
  std::optional<mode_t> umask;
  std::string user;  // empty: no change; otherwise needs root (or the same user)
  StdinMode stdin_mode = StdinMode::kNull;
  OutputSpec stdout_spec;
  OutputSpec stderr_spec;
};

struct SpawnedProcess {
  pid_t pid = -1;        // also the process group id
  UniqueFd stdin_pipe;   // write end (StdinMode::kPipe)
  UniqueFd stdout_pipe;  // read end (OutputMode::kPipe), non-blocking
  UniqueFd stderr_pipe;  // read end (OutputMode::kPipe), non-blocking
};

// A command's spawn spec: `env` over the daemon's environment, stdio as in SpawnSpec's defaults.
SpawnSpec command_spec(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& env, const std::string& cwd,
                       std::optional<unsigned> umask, const std::string& user);

// kSpawnFailed with a message such as "cannot execute 'nope': No such file or directory".
Result<SpawnedProcess> spawn_process(const SpawnSpec& spec);

// The daemon raises its own open-file limit; children get this soft limit back (as systemd
// does), so programs that iterate over every possible fd stay fast.
void set_child_fd_soft_limit(unsigned long soft_limit);

// taskd sets its own umask (027); children get back the one it was started with unless their
// spec sets one.
void set_child_default_umask(mode_t umask);

// The daemon's environment overlaid with `overrides`, as "NAME=value" strings.
std::vector<std::string> merged_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides);

}  // namespace taskd::supervisor
