// The one place that starts child processes (services, execs, task processes, agents).
// The child gets its own session and process group, a clean signal mask and default signal
// dispositions, only fds 0-2 (everything else is closed), stdin from /dev/null unless a pipe is
// asked for, and the given environment, cwd, umask and user. A failure before exec (missing
// binary, no permission, bad user or cwd) is reported to the parent with errno text, never as a
// child that silently exits. Privilege invariants: the working directory is entered only after
// the switch to `user` (so the user cannot reach a directory through root's permissions), and a
// child that runs as another user never sees the daemon's environment.
#pragma once

#include "common/error.h"
#include "common/ids.h"
#include "common/unique_fd.h"

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace taskd::process {

enum class StdinMode { kNull, kPipe };
enum class OutputMode { kPipe, kNull, kFd, kSameAsStdout };

struct OutputSpec {
  OutputMode mode = OutputMode::kPipe;
  int fd = -1;  // kFd: duplicated into the child; the caller keeps ownership
};

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  // Variables set, in order (a later one wins), over the base environment: the daemon's own when
  // `user` is empty (a child that stays root, as supervisord does), else a minimal login
  // environment of that user (child_environment).
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;  // empty: inherit; entered after the switch to `user`
  int cwd_fd = -1;  // instead of cwd: a directory the caller opened (cwd names it in errors)
  std::optional<mode_t> umask;
  std::string user;  // empty: no change; otherwise needs root (or the same user)
  // PR_SET_PDEATHSIG(SIGKILL): the child dies with the daemon (tasks, execs, agents). Supervised
  // programs keep running, as under supervisord; a restarted taskd stops them (child_records.h).
  bool die_with_daemon = false;
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

// kSpawnFailed with a message such as "cannot execute 'nope': No such file or directory".
Result<SpawnedProcess> spawn_process(const SpawnSpec& spec);

// The daemon raises its own open-file limit; children get this soft limit back (as systemd
// does), so programs that iterate over every possible fd stay fast.
void set_child_fd_soft_limit(unsigned long soft_limit);

// taskd sets its own umask (027); children get back the one it was started with unless their
// spec sets one.
void set_child_default_umask(mode_t umask);

// Pure: the complete environment of a child. Without an account, `daemon_env` overlaid with
// `overrides`. With one, only PATH (a default when the daemon has none) and LANG from
// `daemon_env`, then HOME, USER, LOGNAME and SHELL of the account, then `overrides`.
std::vector<std::string> child_environment(
    const std::vector<std::string>& daemon_env, const Account* account,
    const std::vector<std::pair<std::string, std::string>>& overrides);

}  // namespace taskd::process
