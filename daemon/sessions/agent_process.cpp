#include "daemon/sessions/agent_process.h"

#include "common/ids.h"
#include "daemon/process/child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace taskd::sessions {
namespace asio = boost::asio;

namespace {

// An agent that runs as `user` owns its work directory (mode 0700). It enters it by an fd the
// daemon opened: the directories above (the session dir, the data dir) stay root's and closed,
// so nothing else of taskd's is reachable by path.
Result<UniqueFd> hand_work_dir_to(const std::string& path, const std::string& user) {
  auto account = find_account(user);
  if (!account) return make_error(ErrorCode::kSpawnFailed, "no such user '" + user + "'");
  UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir || ::fchown(dir.get(), account->uid, account->gid) != 0 ||
      ::fchmod(dir.get(), 0700) != 0) {
    return make_error(ErrorCode::kSpawnFailed, "failed to give " + path + " to user '" + user +
                                                   "': " + std::strerror(errno));
  }
  return dir;
}

}  // namespace

AgentProcess::AgentProcess(asio::io_context& io, process::Reaper& reaper)
    : io_(io), reaper_(reaper) {}

// The Child's destructor kills a group that still runs.
AgentProcess::~AgentProcess() = default;

Result<pid_t> AgentProcess::start(const AgentLaunch& launch, OnLine on_line, OnExit on_exit) {
  process::ChildSpec spec;
  spec.command = launch.command;
  spec.stdin_pipe = true;
  UniqueFd work;
  if (!launch.command.user.empty()) {
    auto dir = hand_work_dir_to(launch.command.cwd, launch.command.user);
    if (!dir) return dir.error();
    work = std::move(*dir);
    spec.cwd_fd = work.get();
  }
  spec.out = process::Output::callback([this](std::string_view chunk) { on_stdout(chunk); });
  spec.err = process::Output::log_file(launch.stderr_log, 10 * 1024 * 1024, 1, LogChannel::kSess);
  on_line_ = std::move(on_line);
  auto child = process::Child::spawn(io_, reaper_, std::move(spec), std::move(on_exit));
  if (!child) return child.error();
  child_ = std::move(*child);
  return child_->pid();
}

bool AgentProcess::running() const { return child_ && child_->running(); }

pid_t AgentProcess::pid() const { return running() ? child_->pid() : 0; }

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

bool AgentProcess::write(std::string bytes) { return running() && child_->write(std::move(bytes)); }

asio::awaitable<void> AgentProcess::stop(std::chrono::milliseconds grace) {
  auto self = shared_from_this();  // the caller may drop the agent while this waits
  if (auto child = child_) co_await child->stop(grace, SIGTERM);
}

}  // namespace taskd::sessions
