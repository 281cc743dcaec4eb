// taskd: parse the command line, load the configuration, optionally go to the background,
// set up logging, and run the daemon until it is told to stop.
#include "common/address.h"
#include "common/log.h"
#include "daemon/app.h"
#include "daemon/config/cli.h"
#include "daemon/config/config.h"
#include "daemon/config/runtime_check.h"
#include "daemon/daemonize.h"
#include "daemon/data_dir.h"
#include "daemon/init/pid1.h"
#include "daemon/process/spawn.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

constexpr const char* kDefaultConfig = "/etc/taskd.toml";

taskd::Result<taskd::Config> load(const taskd::CliOptions& cli) {
  taskd::Result<taskd::Config> config = taskd::default_config();
  if (cli.config_explicit || ::access(kDefaultConfig, F_OK) == 0) {
    config = taskd::load_config(cli.config_explicit ? cli.config_path : kDefaultConfig);
  }
  if (config && cli.socket_override) {
    auto address = taskd::parse_address(*cli.socket_override);
    auto* unix_address = address ? std::get_if<taskd::UnixAddress>(&*address) : nullptr;
    config->daemon.socket = unix_address ? std::filesystem::absolute(unix_address->path).string()
                                         : *cli.socket_override;
  }
  return config;
}

// Every supervised process holds two pipes open in the daemon: the default soft limit of 1024
// would cap taskd at about 500 programs, so take the hard limit.
void raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    taskd::process::set_child_fd_soft_limit(limit.rlim_cur);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// What taskd creates for itself (state, logs, directories) is never group-writable or readable
// by others, whatever umask it was started with; children get the inherited umask back.
constexpr mode_t kDaemonUmask = 027;

void set_daemon_umask() { taskd::process::set_child_default_umask(::umask(kDaemonUmask)); }

int exit_code_for(const taskd::Error& error) {
  if (error.code == taskd::ErrorCode::kAlreadyExists) return taskd::kExitAlreadyRunning;
  if (error.code == taskd::ErrorCode::kInvalidConfig) return taskd::kExitBadConfig;
  return taskd::kExitFailure;
}

// Once the loop has stopped, taskd is on its way out: a SIGTERM or SIGINT arriving now (a service
// manager racing daemon.shutdown) must not turn a clean exit into death by that signal. Blocked,
// so the signal set's teardown cannot restore the default action under it.
void ignore_stop_signals() {
  sigset_t stop;
  ::sigemptyset(&stop);
  ::sigaddset(&stop, SIGTERM);
  ::sigaddset(&stop, SIGINT);
  ::sigaddset(&stop, SIGHUP);
  ::sigprocmask(SIG_BLOCK, &stop, nullptr);
}

}  // namespace

static int run(int argc, char** argv) {
  auto cli = taskd::init::parse_command_line(std::vector<std::string>(argv + 1, argv + argc),
                                             ::getpid() == 1);
  if (!cli) {
    std::fprintf(stderr, "taskd: %s\n%s", cli.error().message.c_str(), taskd::cli_usage().c_str());
    return taskd::kExitUsage;
  }
  if (cli->show_help) return std::printf("%s", taskd::cli_usage().c_str()) < 0;
  if (cli->show_version) return std::printf("taskd %s\n", TASKD_VERSION) < 0;
  taskd::init::enter(*cli);  // PID 1 or --init: mounts, stdio, PATH (daemon/init)

  auto config = load(*cli);
  if (!config) {
    std::fprintf(stderr, "taskd: %s\n", config.error().message.c_str());
    return taskd::kExitBadConfig;
  }
  if (auto address = taskd::parse_address(config->daemon.socket);
      !address || !std::holds_alternative<taskd::UnixAddress>(*address)) {
    std::fprintf(stderr, "taskd: -s: %s\n",
                 address ? "must be a unix: address" : address.error().message.c_str());
    return taskd::kExitUsage;
  }
  if (cli->check_only) {
    if (auto checked = taskd::check_runtime(*config); !checked) {
      std::fprintf(stderr, "taskd: %s\n", checked.error().message.c_str());
      return taskd::kExitBadConfig;
    }
    std::printf("%s: ok (%zu programs)\n", config->path.c_str(), config->programs.size());
    return taskd::kExitOk;
  }

  std::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  if (!cli->foreground) taskd::daemonize(cli->daemon_pipe_fd);
  set_daemon_umask();
  auto data_dir_lock = taskd::claim_data_dir(config->daemon.data_dir);  // held until exit
  if (!data_dir_lock) {
    std::fprintf(stderr, "taskd: %s\n", data_dir_lock.error().message.c_str());
    return exit_code_for(data_dir_lock.error());
  }
  taskd::LogOptions file_only = taskd::log_options(config->daemon, false);
  if (auto logging = taskd::setup_logging(taskd::log_options(config->daemon, true)); !logging) {
    std::fprintf(stderr, "taskd: %s\n", logging.error().message.c_str());
    return taskd::kExitFailure;
  }

  bool foreground = cli->foreground;
  taskd::App app(std::move(*config), *cli, [foreground, file_only] {
    if (foreground) return;
    taskd::detach_stdio();
    (void)taskd::setup_logging(file_only);
  });
  int code = app.run();
  ignore_stop_signals();
  return code;
}

// As PID 1, finish() never returns: it stops what is left and powers off (daemon/init/pid1.h).
int main(int argc, char** argv) { return taskd::init::finish(run(argc, argv)); }
