#include "daemon/process/child.h"

#include "daemon/process/log_file.h"
#include "daemon/process/spawn.h"
#include "daemon/process/stdin_writer.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace taskd::process {
namespace asio = boost::asio;

namespace {

// After the SIGKILL of a stop: SIGKILL cannot be ignored, but uninterruptible sleep delays it.
constexpr auto kKillWait = std::chrono::seconds(5);

OutputSpec output_spec(const Output& output, int inherited_fd) {
  switch (output.kind) {
    case Output::Kind::kNull: return OutputSpec{OutputMode::kNull};
    case Output::Kind::kInherit: return OutputSpec{OutputMode::kFd, inherited_fd};
    case Output::Kind::kSameAsStdout: return OutputSpec{OutputMode::kSameAsStdout};
    case Output::Kind::kCallback:
    case Output::Kind::kFile:
    case Output::Kind::kDrain: return OutputSpec{OutputMode::kPipe};
  }
  return OutputSpec{OutputMode::kNull};
}

SpawnSpec spawn_spec(const ChildSpec& spec) {
  SpawnSpec out;
  out.argv = spec.command.argv;
  out.env = spec.base_env;  // spawn applies them in order: command.env wins
  out.env.insert(out.env.end(), spec.command.env.begin(), spec.command.env.end());
  out.cwd = spec.command.cwd;
  out.cwd_fd = spec.cwd_fd;
  if (spec.command.umask) out.umask = static_cast<mode_t>(*spec.command.umask);
  out.user = spec.command.user;
  out.die_with_daemon = spec.die_with_daemon;
  out.stdin_mode = spec.stdin_pipe ? StdinMode::kPipe : StdinMode::kNull;
  out.stdout_spec = output_spec(spec.out, STDOUT_FILENO);
  out.stderr_spec = output_spec(spec.err, STDERR_FILENO);
  return out;
}

}  // namespace

// Whoever awaits the exit. Shared with the waiting coroutines, so a wait never touches a
// destroyed Child.
struct Child::ExitWaiters {
  bool done = false;
  std::vector<std::weak_ptr<asio::steady_timer>> timers;

  void wake_all() {
    done = true;
    for (auto& weak : timers) {
      if (auto timer = weak.lock()) timer->cancel();
    }
    timers.clear();
  }
};

Output Output::callback(OutputPump::OnData on_data, OutputPump::OnEnd on_end) {
  Output output{Kind::kCallback};
  output.on_data = std::move(on_data);
  output.on_end = std::move(on_end);
  return output;
}

Output Output::file_sink(std::shared_ptr<LogFile> file, FileSinkReport report) {
  Output output{Kind::kFile};
  output.file = std::move(file);
  output.report = std::move(report);
  return output;
}

Output Output::log_file(const std::string& path, std::uint64_t max_bytes, int backups,
                        LogChannel channel) {
  auto file = LogFile::open(path, max_bytes, backups);
  if (file) return file_sink(*file);
  log(channel).error("{}; output is discarded", file.error().message);
  return drain();
}

Child::Child(asio::io_context& io, Reaper& reaper, pid_t pid)
    : io_(io),
      reaper_(reaper),
      pid_(pid),
      kill_timer_(io),
      waiters_(std::make_shared<ExitWaiters>()) {}

Result<std::shared_ptr<Child>> Child::spawn(asio::io_context& io, Reaper& reaper, ChildSpec spec,
                                            OnExit on_exit) {
  auto spawned = spawn_process(spawn_spec(spec));
  if (!spawned) return spawned.error();
  auto child = std::make_shared<Child>(io, reaper, spawned->pid);
  // Watched before the loop runs again, so the exit cannot be reaped as an orphan.
  std::weak_ptr<Child> weak = child;
  reaper.watch(
      child->pid_,
      [weak](int status) {
        if (auto self = weak.lock()) self->on_exit(status);
      },
      spec.leader_exit);
  child->on_exit_ = std::move(on_exit);
  if (spawned->stdin_pipe) {
    child->stdin_ = std::make_shared<StdinWriter>(io, std::move(spawned->stdin_pipe));
  }
  child->start_pumps(*spawned, std::move(spec.out), std::move(spec.err));
  return child;
}

Child::~Child() {
  if (running()) {
    reaper_.unwatch(pid_);
    ::killpg(pid_, SIGKILL);
  }
  if (stdin_) stdin_->close();
  // Callback sinks belong to the owner, which may be going away too; file sinks drain on.
  for (auto& pump : pumps_) {
    if (pump->calls_back()) pump->stop();
  }
  waiters_->wake_all();
}

void Child::start_pumps(SpawnedProcess& spawned, Output out, Output err) {
  if (auto pump = start_pump(std::move(spawned.stdout_pipe), std::move(out))) {
    pumps_.push_back(std::move(pump));
  }
  if (auto pump = start_pump(std::move(spawned.stderr_pipe), std::move(err))) {
    pumps_.push_back(std::move(pump));
  }
}

std::shared_ptr<OutputPump> Child::start_pump(UniqueFd pipe, Output output) {
  if (!pipe) return nullptr;
  switch (output.kind) {
    case Output::Kind::kCallback:
      return OutputPump::start(io_, std::move(pipe), std::move(output.on_data),
                               std::move(output.on_end));
    case Output::Kind::kFile:
      return OutputPump::start_to_file(io_, std::move(pipe), std::move(output.file),
                                       std::move(output.report));
    default: return OutputPump::start(io_, std::move(pipe), nullptr);
  }
}

void Child::on_exit(int wait_status) {
  wait_status_ = wait_status;
  kill_timer_.cancel();
  if (stdin_) stdin_->close();  // nobody reads it any more
  // The callback may drop the owner's reference: the reaper's handler holds one until it returns.
  if (auto handler = std::move(on_exit_)) handler(wait_status);
  waiters_->wake_all();
}

asio::awaitable<void> Child::wait(std::chrono::milliseconds limit) {
  // Only the shared waiters are used after the suspension: the Child may be gone by then.
  std::shared_ptr<ExitWaiters> waiters = waiters_;
  if (waiters->done) co_return;
  auto timer = std::make_shared<asio::steady_timer>(io_);
  timer->expires_after(limit);
  waiters->timers.push_back(timer);
  co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
}

bool Child::signal(int signal) {
  if (!running()) {
    errno = ESRCH;
    return false;
  }
  return ::killpg(pid_, signal) == 0;
}

void Child::terminate(std::chrono::milliseconds grace, int signal) {
  if (!running()) return;
  this->signal(signal);
  if (kill_armed_) return;
  kill_armed_ = true;
  kill_timer_.expires_after(grace);
  kill_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!ec && self && self->running()) self->signal(SIGKILL);
  });
}

asio::awaitable<void> Child::stop(std::chrono::milliseconds grace, int signal) {
  terminate(grace, signal);
  co_await wait(grace + kKillWait);
}

bool Child::write(std::string bytes) { return stdin_ && stdin_->write(std::move(bytes)); }

void Child::close_stdin() {
  if (stdin_) stdin_->close_after_writes();
}

bool Child::has_stdin() const { return stdin_ && stdin_->is_open(); }

Result<std::size_t> Child::write_some(std::string_view data) {
  if (!has_stdin()) return make_error(ErrorCode::kBadState, "stdin is not open");
  return stdin_->write_some(data);
}

void Child::stop_output() {
  for (auto& pump : pumps_) pump->stop();
}

}  // namespace taskd::process
