#include "daemon/process/spawn.h"

#include "common/ids.h"
#include "daemon/process/child_records.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <map>

extern char** environ;

namespace taskd::process {
namespace {

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";

// What the child reports through the CLOEXEC pipe when a step before exec fails.
struct ChildFailure {
  int stage;
  int error;
};
enum Stage {
  kStageSetsid,
  kStageDup,
  kStageChdir,
  kStageGroups,
  kStageSetgid,
  kStageSetuid,
  kStageParentDeath,
  kStageExec
};

const char* stage_text(int stage) {
  switch (stage) {
    case kStageSetsid: return "create a session";
    case kStageDup: return "set up stdio";
    case kStageChdir: return "change to the working directory";
    case kStageGroups: return "set supplementary groups";
    case kStageSetgid: return "set the group id";
    case kStageSetuid: return "set the user id";
    case kStageParentDeath: return "die with taskd";
    default: return "execute";
  }
}

struct Identity {
  Account account;
  std::vector<gid_t> groups;
  bool switch_user = true;  // false: taskd runs as this user already
};

Result<std::optional<Identity>> resolve_user(const std::string& user) {
  if (user.empty()) return std::optional<Identity>{};
  int lookup_error = 0;
  auto account = find_account(user, &lookup_error);
  if (!account) {
    return make_error(ErrorCode::kSpawnFailed,
                      "no such user '" + user + "'" +
                          (lookup_error ? std::string(": ") + std::strerror(lookup_error) : ""));
  }
  Identity identity{*account, {}};
  if (identity.account.uid == ::geteuid()) {  // already that user: nothing to switch
    identity.switch_user = false;
    return std::optional<Identity>{identity};
  }
  if (::geteuid() != 0) {
    return make_error(ErrorCode::kSpawnFailed,
                      "cannot run as user '" + user + "': taskd is not running as root");
  }
  // initgroups(3) reads /etc/group, which is not async-signal-safe after fork: the same list is
  // computed here and set with setgroups in the child.
  const Account& who = identity.account;
  int count = 64;
  identity.groups.resize(static_cast<std::size_t>(count));
  if (::getgrouplist(who.name.c_str(), who.gid, identity.groups.data(), &count) < 0) {
    identity.groups.resize(static_cast<std::size_t>(count));
    ::getgrouplist(who.name.c_str(), who.gid, identity.groups.data(), &count);
  }
  identity.groups.resize(static_cast<std::size_t>(count));
  return std::optional<Identity>{identity};
}

// Finds argv[0] in PATH in the parent (execvp is not async-signal-safe after fork).
std::string resolve_program(const std::string& program, const std::vector<std::string>& env) {
  if (program.find('/') != std::string::npos) return program;
  std::string path = kDefaultPath;
  for (const auto& entry : env) {
    if (entry.starts_with("PATH=")) path = entry.substr(5);
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return program;  // exec fails with ENOENT and says so
}

unsigned long g_child_fd_soft_limit = 0;  // 0: leave the inherited limit alone
int g_child_umask = -1;                   // -1: leave the inherited umask alone

[[noreturn]] void child_fail(int report_fd, int stage) {
  ChildFailure failure{stage, errno};
  ssize_t ignored = ::write(report_fd, &failure, sizeof failure);
  (void)ignored;
  ::_exit(127);
}

// Closes every fd from 3 up except `keep`.
void close_fds_except(int keep) {
  if (keep > 3) ::syscall(SYS_close_range, 3, keep - 1, 0);
  if (::syscall(SYS_close_range, keep + 1, ~0U, 0) == 0) return;
  long max = ::sysconf(_SC_OPEN_MAX);
  for (int fd = 3; fd < (max > 0 && max < 1 << 20 ? max : 1 << 20); ++fd) {
    if (fd != keep) ::close(fd);
  }
}

// Makes sure `fd` is not 0-2, so the dup2 calls that fill 0-2 cannot clobber it.
int above_stdio(int fd) { return fd > 2 ? fd : ::fcntl(fd, F_DUPFD_CLOEXEC, 3); }

// Everything the child needs, prepared in the parent (after fork only async-signal-safe calls).
struct ChildPlan {
  const SpawnSpec& spec;
  const std::optional<Identity>& identity;
  const char* program;
  char* const* argv;
  char* const* envp;
  pid_t daemon_pid;
};

void drop_privileges(const Identity& identity, int report_fd) {
  if (!identity.switch_user) return;
  if (::setgroups(identity.groups.size(), identity.groups.data()) != 0) {
    child_fail(report_fd, kStageGroups);
  }
  if (::setgid(identity.account.gid) != 0) child_fail(report_fd, kStageSetgid);
  if (::setuid(identity.account.uid) != 0) child_fail(report_fd, kStageSetuid);
}

// After the privilege drop: a change of credentials clears the parent-death signal.
void die_with_daemon(pid_t daemon_pid, int report_fd) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(report_fd, kStageParentDeath);
  if (::getppid() != daemon_pid) ::_exit(127);  // the daemon died before prctl: nobody waits
}

// After the privilege drop, so the path is resolved with the child's own permissions.
void enter_working_directory(const SpawnSpec& spec, int cwd_fd, int report_fd) {
  if (cwd_fd >= 0) {
    if (::fchdir(cwd_fd) != 0) child_fail(report_fd, kStageChdir);
  } else if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) {
    child_fail(report_fd, kStageChdir);
  }
}

void restore_fd_soft_limit() {
  if (!g_child_fd_soft_limit) return;
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = std::min<rlim_t>(g_child_fd_soft_limit, limit.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

void reset_signals() {
  sigset_t all;
  ::sigfillset(&all);
  for (int signal = 1; signal < NSIG; ++signal) {
    if (signal != SIGKILL && signal != SIGSTOP) ::signal(signal, SIG_DFL);
  }
  ::sigprocmask(SIG_UNBLOCK, &all, nullptr);
}

// Runs in the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void run_child(const ChildPlan& plan, int stdin_fd, int stdout_fd, int stderr_fd,
                            int report_fd) {
  reset_signals();
  if (g_child_umask >= 0) ::umask(static_cast<mode_t>(g_child_umask));  // spec.umask wins below
  report_fd = above_stdio(report_fd);
  if (::setsid() < 0) child_fail(report_fd, kStageSetsid);
  int cwd_fd = plan.spec.cwd_fd >= 0 ? above_stdio(plan.spec.cwd_fd) : -1;
  stdin_fd = above_stdio(stdin_fd);
  stdout_fd = above_stdio(stdout_fd);
  stderr_fd = above_stdio(stderr_fd);
  if (::dup2(stdin_fd, 0) < 0 || ::dup2(stdout_fd, 1) < 0 || ::dup2(stderr_fd, 2) < 0) {
    child_fail(report_fd, kStageDup);
  }
  if (plan.spec.umask) ::umask(*plan.spec.umask);
  if (plan.identity) drop_privileges(*plan.identity, report_fd);
  if (plan.spec.die_with_daemon) die_with_daemon(plan.daemon_pid, report_fd);
  enter_working_directory(plan.spec, cwd_fd, report_fd);
  restore_fd_soft_limit();
  close_fds_except(report_fd);  // the report pipe is O_CLOEXEC: exec closes it
  ::execve(plan.program, plan.argv, plan.envp);
  child_fail(report_fd, kStageExec);
}

// Parent-side fds for the child's 0-2, closed after fork; pipe ends the caller keeps.
struct Stdio {
  UniqueFd child_in, child_out, child_err;
  SpawnedProcess parent;
};

Result<UniqueFd> open_null(int flags) {
  UniqueFd fd(::open("/dev/null", flags | O_CLOEXEC));
  if (!fd)
    return make_error(ErrorCode::kSpawnFailed,
                      std::string("open /dev/null: ") + std::strerror(errno));
  return fd;
}

Result<void> make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return make_error(ErrorCode::kSpawnFailed, std::string("pipe: ") + std::strerror(errno));
  }
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  return {};
}

Result<UniqueFd> child_output(const OutputSpec& spec, UniqueFd& parent_read) {
  switch (spec.mode) {
    case OutputMode::kNull: return open_null(O_WRONLY);
    case OutputMode::kFd: {
      UniqueFd copy(::fcntl(spec.fd, F_DUPFD_CLOEXEC, 3));
      if (!copy)
        return make_error(ErrorCode::kSpawnFailed, std::string("dup: ") + std::strerror(errno));
      return copy;
    }
    case OutputMode::kPipe: {
      UniqueFd write_end;
      if (auto ok = make_pipe(parent_read, write_end); !ok) return ok.error();
      ::fcntl(parent_read.get(), F_SETFL, O_NONBLOCK);
      return write_end;
    }
    case OutputMode::kSameAsStdout: break;
  }
  return UniqueFd();
}

Result<Stdio> prepare_stdio(const SpawnSpec& spec) {
  Stdio stdio;
  if (spec.stdin_mode == StdinMode::kPipe) {
    if (auto ok = make_pipe(stdio.child_in, stdio.parent.stdin_pipe); !ok) return ok.error();
  } else {
    auto null_in = open_null(O_RDONLY);
    if (!null_in) return null_in.error();
    stdio.child_in = std::move(*null_in);
  }
  auto out = child_output(spec.stdout_spec, stdio.parent.stdout_pipe);
  if (!out) return out.error();
  stdio.child_out = std::move(*out);
  if (spec.stderr_spec.mode == OutputMode::kSameAsStdout) {
    stdio.child_err.reset(::fcntl(stdio.child_out.get(), F_DUPFD_CLOEXEC, 3));
  } else {
    auto err = child_output(spec.stderr_spec, stdio.parent.stderr_pipe);
    if (!err) return err.error();
    stdio.child_err = std::move(*err);
  }
  return stdio;
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Every string here reaches a C API, which would cut it at a NUL ("nobody\0x" is "nobody").
const char* field_with_nul(const SpawnSpec& spec) {
  auto has_nul = [](const std::string& text) { return text.find('\0') != std::string::npos; };
  for (const auto& arg : spec.argv) {
    if (has_nul(arg)) return "argv";
  }
  for (const auto& [name, value] : spec.env) {
    if (has_nul(name) || has_nul(value) || name.empty() || name.find('=') != std::string::npos)
      return "env";
  }
  if (has_nul(spec.cwd)) return "cwd";
  if (has_nul(spec.user)) return "user";
  return nullptr;
}

std::vector<std::string> daemon_environment() {
  std::vector<std::string> env;
  for (char** entry = environ; entry && *entry; ++entry) env.emplace_back(*entry);
  return env;
}

std::string describe_failure(const SpawnSpec& spec, const std::optional<Identity>& identity,
                             const ChildFailure& failure, bool complete) {
  std::string what;
  if (failure.stage == kStageExec) {
    what = "cannot execute '" + spec.argv.front() + "'";
  } else {
    what = std::string("cannot ") + stage_text(failure.stage);
    if (failure.stage == kStageChdir) {
      what += " '" + spec.cwd + "'";
      if (identity && identity->switch_user) what += " as user '" + identity->account.name + "'";
    }
  }
  return what + ": " + (complete ? std::strerror(failure.error) : "unknown error");
}

}  // namespace

Result<SpawnedProcess> spawn_process(const SpawnSpec& spec) {
  if (spec.argv.empty() || spec.argv.front().empty()) {
    return make_error(ErrorCode::kSpawnFailed, "empty command");
  }
  if (const char* field = field_with_nul(spec)) {
    return make_error(ErrorCode::kSpawnFailed,
                      std::string("invalid ") + field + ": a NUL byte or a bad variable name");
  }
  auto identity = resolve_user(spec.user);
  if (!identity) return identity.error();
  auto stdio = prepare_stdio(spec);
  if (!stdio) return stdio.error();
  const Account* account = *identity ? &(*identity)->account : nullptr;
  std::vector<std::string> env = child_environment(daemon_environment(), account, spec.env);
  std::string program = resolve_program(spec.argv.front(), env);
  std::vector<char*> argv = c_strings(spec.argv);
  std::vector<char*> envp = c_strings(env);
  UniqueFd report_read, report_write;
  if (auto ok = make_pipe(report_read, report_write); !ok) return ok.error();

  ChildPlan plan{spec, *identity, program.c_str(), argv.data(), envp.data(), ::getpid()};
  pid_t pid = ::fork();
  if (pid < 0)
    return make_error(ErrorCode::kSpawnFailed, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    run_child(plan, stdio->child_in.get(), stdio->child_out.get(), stdio->child_err.get(),
              report_write.get());
  }
  report_write.reset();
  ChildFailure failure{};
  ssize_t n;
  do {
    n = ::read(report_read.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == 0) {
    child_records::remember(pid);
    stdio->parent.pid = pid;
    return std::move(stdio->parent);
  }
  // The child reported a failure and exits at once: reap it here so no zombie is left and the
  // SIGCHLD reaper never sees an unknown pid.
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return make_error(ErrorCode::kSpawnFailed,
                    describe_failure(spec, *identity, failure, n == sizeof failure));
}

void set_child_fd_soft_limit(unsigned long soft_limit) { g_child_fd_soft_limit = soft_limit; }

void set_child_default_umask(mode_t umask) { g_child_umask = static_cast<int>(umask); }

std::vector<std::string> child_environment(
    const std::vector<std::string>& daemon_env, const Account* account,
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::map<std::string, std::string> merged;
  for (const std::string& entry : daemon_env) {
    auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    std::string name = entry.substr(0, eq);
    if (!account || name == "PATH" || name == "LANG") merged[name] = entry.substr(eq + 1);
  }
  if (account) {
    merged.try_emplace("PATH", kDefaultPath);
    merged["HOME"] = account->home;
    merged["USER"] = account->name;
    merged["LOGNAME"] = account->name;
    merged["SHELL"] = account->shell;
  }
  for (const auto& [key, value] : overrides) merged[key] = value;
  std::vector<std::string> env;
  env.reserve(merged.size());
  for (const auto& [key, value] : merged) env.push_back(key + "=" + value);
  return env;
}

}  // namespace taskd::process
