#include "daemon/sessions/agent_process.h"

#include "common/log.h"
#include "daemon/supervisor/log_file.h"
#include "daemon/supervisor/output_pump.h"
#include "daemon/supervisor/reaper.h"
#include "daemon/supervisor/spawn.h"
#include "daemon/supervisor/stop_group.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace taskd::sessions {
namespace asio = boost::asio;
using supervisor::OutputPump;

namespace {

// An agent that runs as `user` owns its work directory (mode 0700). It enters it by an fd the
// daemon opened: the directories above (the session dir, the data dir) stay root's and closed,
// so nothing else of taskd's is reachable by path.
Result<UniqueFd> hand_work_dir_to(const std::string& path, const std::string& user) {
  auto account = supervisor::look_up_account(user);
  if (!account) return account.error();
  UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir || ::fchown(dir.get(), account->uid, account->gid) != 0 ||
      ::fchmod(dir.get(), 0700) != 0) {
    return make_error(ErrorCode::kSpawnFailed, "failed to give " + path + " to user '" + user +
                                                   "': " + std::strerror(errno));
  }
  return dir;
}

}  // namespace

AgentProcess::AgentProcess(asio::io_context& io, supervisor::Reaper& reaper)
    : io_(io), reaper_(reaper) {}

AgentProcess::~AgentProcess() {
  if (pid_ > 0) {
    reaper_.unwatch(pid_);
    ::killpg(pid_, SIGKILL);
  }
}

Result<pid_t> AgentProcess::start(const AgentLaunch& launch, OnLine on_line, OnExit on_exit) {
  supervisor::SpawnSpec spec;
  spec.argv = launch.argv;
  spec.env = {launch.env.begin(), launch.env.end()};
  spec.cwd = launch.cwd;
  spec.user = launch.user;
  spec.die_with_daemon = true;
  spec.stdin_mode = supervisor::StdinMode::kPipe;
  UniqueFd work;
  if (!launch.user.empty()) {
    auto dir = hand_work_dir_to(launch.cwd, launch.user);
    if (!dir) return dir.error();
    work = std::move(*dir);
    spec.cwd_fd = work.get();
  }
  auto spawned = supervisor::spawn_process(spec);
  if (!spawned) return spawned.error();
  pid_ = spawned->pid;
  on_line_ = std::move(on_line);
  on_exit_ = std::move(on_exit);
  std::weak_ptr<AgentProcess> weak = weak_from_this();
  reaper_.watch(pid_, [weak](int status) {
    auto self = weak.lock();
    if (!self) return;
    self->pid_ = 0;
    boost::system::error_code ignored;
    if (self->stdin_) self->stdin_->close(ignored);
    if (auto handler = std::move(self->on_exit_)) handler(status);
    self->exited_.notify();
  });
  stdin_ = std::make_unique<asio::posix::stream_descriptor>(io_, spawned->stdin_pipe.release());
  stdout_pump_ =
      OutputPump::start(io_, std::move(spawned->stdout_pipe), [weak](std::string_view chunk) {
        if (auto self = weak.lock()) self->on_stdout(chunk);
      });
  auto log = supervisor::LogFile::open(launch.stderr_log, 10 * 1024 * 1024, 1);
  stderr_pump_ = log ? OutputPump::start_to_file(io_, std::move(spawned->stderr_pipe), *log)
                     : OutputPump::start(io_, std::move(spawned->stderr_pipe), nullptr);
  return pid_;
}

void AgentProcess::on_stdout(std::string_view chunk) {
  framer_.append(chunk);
  std::string_view line;
  for (;;) {
    auto status = framer_.next(line);
    if (status == LineFramer::Status::kNeedMore) break;
    if (status == LineFramer::Status::kTooLong) {
      // Pass an oversized line on in pieces rather than dropping it or the agent.
      std::string piece = framer_.take_buffered();
      if (on_line_) on_line_(piece, false);
      continue;
    }
    if (on_line_) on_line_(line, true);
  }
}

bool AgentProcess::write(std::string bytes) {
  if (pid_ <= 0 || !stdin_ || !stdin_->is_open()) return false;
  pending_writes_.push_back(std::move(bytes));
  flush_writes();
  return true;
}

void AgentProcess::flush_writes() {
  if (writing_ || pending_writes_.empty() || !stdin_ || !stdin_->is_open()) return;
  writing_ = true;
  auto self = shared_from_this();
  asio::async_write(*stdin_, asio::buffer(pending_writes_.front()),
                    [self](const boost::system::error_code& ec, std::size_t) {
                      self->writing_ = false;
                      if (ec) {
                        self->pending_writes_.clear();
                        return;
                      }
                      self->pending_writes_.pop_front();
                      self->flush_writes();
                    });
}

asio::awaitable<void> AgentProcess::stop(std::chrono::milliseconds grace) {
  auto self = shared_from_this();
  std::function<bool()> running = [self] { return self->running(); };
  co_await supervisor::stop_group(io_, pid_, grace, std::move(running), exited_);
}

}  // namespace taskd::sessions
