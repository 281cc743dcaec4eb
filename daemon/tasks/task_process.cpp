#include "daemon/tasks/task_process.h"

#include "common/log.h"
#include "daemon/supervisor/log_file.h"
#include "daemon/supervisor/output_pump.h"
#include "daemon/supervisor/reaper.h"
#include "daemon/supervisor/spawn.h"
#include "daemon/supervisor/stop_group.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <signal.h>

namespace taskd::tasks {
namespace asio = boost::asio;
using supervisor::OutputPump;

namespace {
constexpr std::uint64_t kLogMaxBytes = 50 * 1024 * 1024;
constexpr int kLogBackups = 3;
}  // namespace

TaskProcess::TaskProcess(asio::io_context& io, supervisor::Reaper& reaper)
    : io_(io), reaper_(reaper) {}

TaskProcess::~TaskProcess() {
  if (pid_ > 0) {
    reaper_.unwatch(pid_);
    ::killpg(pid_, SIGKILL);
  }
}

Result<pid_t> TaskProcess::start(const CommandSpec& command, const std::string& log_dir,
                                 OnExit on_exit) {
  supervisor::SpawnSpec spec =
      supervisor::command_spec(command.argv, command.env, command.cwd, command.umask, command.user);
  auto spawned = supervisor::spawn_process(spec);
  if (!spawned) return spawned.error();
  pid_ = spawned->pid;
  on_exit_ = std::move(on_exit);
  std::weak_ptr<TaskProcess> weak = weak_from_this();
  reaper_.watch(pid_, [weak](int status) {
    auto self = weak.lock();
    if (!self) return;
    self->pid_ = 0;
    if (self->on_exit_) self->on_exit_(status);
    self->exited_.notify();
  });
  auto pump = [&](UniqueFd pipe, const std::string& path) -> std::shared_ptr<OutputPump> {
    auto file = supervisor::LogFile::open(path, kLogMaxBytes, kLogBackups);
    if (!file) {
      log(LogChannel::kTask).error("{}; output is discarded", file.error().message);
      return OutputPump::start(io_, std::move(pipe), nullptr);
    }
    return OutputPump::start_to_file(io_, std::move(pipe), *file);
  };
  stdout_pump_ = pump(std::move(spawned->stdout_pipe), log_dir + "/stdout.log");
  stderr_pump_ = pump(std::move(spawned->stderr_pipe), log_dir + "/stderr.log");
  return pid_;
}

asio::awaitable<void> TaskProcess::stop(std::chrono::milliseconds grace) {
  auto self = shared_from_this();
  std::function<bool()> running = [self] { return self->running(); };
  co_await supervisor::stop_group(io_, pid_, grace, std::move(running), exited_);
}

}  // namespace taskd::tasks
