#include "daemon/exec/exec.h"

#include "common/duration_limit.h"
#include "common/log.h"
#include "daemon/process/child.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <signal.h>
#include <sys/wait.h>

namespace taskd::exec {
namespace asio = boost::asio;

namespace {
// After the main process is gone and its group killed, output still in flight is drained for
// this long; a descendant that escaped the group may hold the pipe open for ever.
constexpr auto kDrainLimit = std::chrono::milliseconds(1000);
}  // namespace

std::string_view reason_name(ExitReason reason) {
  switch (reason) {
    case ExitReason::kExited: return "exited";
    case ExitReason::kSignaled: return "signaled";
    case ExitReason::kTimeout: return "timeout";
    case ExitReason::kCancelled: return "cancelled";
    case ExitReason::kSpawnFailed: return "spawn_failed";
  }
  return "exited";
}

Exec::Exec(asio::io_context& io, process::Reaper& reaper, ExecRequest request, OnOutput on_output)
    : io_(io),
      reaper_(reaper),
      request_(std::move(request)),
      on_output_(std::move(on_output)),
      out_(request_.max_output_bytes),
      err_(request_.max_output_bytes),
      started_(std::chrono::steady_clock::now()),
      timer_(io),
      drain_timer_(io) {}

// The Child's destructor kills a group that still runs.
Exec::~Exec() = default;

std::shared_ptr<Exec> Exec::start(asio::io_context& io, process::Reaper& reaper,
                                  ExecRequest request, OnOutput on_output) {
  auto exec = std::make_shared<Exec>(io, reaper, std::move(request), std::move(on_output));
  exec->launch();
  return exec;
}

void Exec::launch() {
  process::ChildSpec spec;
  spec.command = request_.command;
  spec.stdin_pipe = !request_.stdin_data.empty();
  spec.leader_exit = process::LeaderExit::kKillGroup;  // anything it left behind in its group
  spec.out = process::Output::callback(
      [this](std::string_view chunk) { on_chunk("stdout", chunk); }, [this] { on_stream_end(); });
  spec.err = process::Output::callback(
      [this](std::string_view chunk) { on_chunk("stderr", chunk); }, [this] { on_stream_end(); });
  auto child =
      process::Child::spawn(io_, reaper_, std::move(spec), [this](int status) { on_exit(status); });
  if (!child) {
    result_.reason = ExitReason::kSpawnFailed;
    result_.error = child.error().message;
    exited_ = true;
    finish();
    return;
  }
  child_ = std::move(*child);
  result_.pid = child_->pid();
  open_streams_ = 2;
  if (child_->has_stdin()) {
    child_->write(request_.stdin_data);
    child_->close_stdin();
  }
  if (request_.timeout_ms > 0) {
    timer_.expires_after(bounded_ms(request_.timeout_ms));
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (!ec && self) self->on_timeout();
    });
  }
}

void Exec::on_chunk(std::string_view stream, std::string_view chunk) {
  bool is_stdout = stream == "stdout";
  (is_stdout ? out_ : err_).append(chunk);
  std::uint64_t& offset = is_stdout ? stdout_offset_ : stderr_offset_;
  if (on_output_) on_output_(stream, offset, chunk);
  offset += chunk.size();
}

void Exec::on_stream_end() {
  --open_streams_;
  maybe_finish();
}

void Exec::on_exit(int wait_status) {
  exited_ = true;
  if (WIFSIGNALED(wait_status)) {
    result_.signal = WTERMSIG(wait_status);
  } else {
    result_.exit_code = WEXITSTATUS(wait_status);
  }
  timer_.cancel();
  drain_timer_.expires_after(kDrainLimit);
  drain_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!ec && self && !self->finished_) self->stop_draining();
  });
  maybe_finish();
}

void Exec::stop_draining() {
  log(LogChannel::kExec)
      .warn(
          "exec pid={} left its output pipe open (a descendant outside its group); not waiting "
          "for it",
          result_.pid);
  child_->stop_output();
  open_streams_ = 0;
  maybe_finish();
}

void Exec::on_timeout() {
  if (exited_) return;
  result_.timed_out = true;
  child_->terminate(bounded_ms(request_.kill_grace_ms), request_.stop_signal);
}

void Exec::cancel() {
  if (finished_ || cancelled_) return;
  cancelled_ = true;
  if (child_ && !exited_) child_->signal(SIGKILL);
}

void Exec::maybe_finish() {
  if (exited_ && open_streams_ == 0 && !finished_) finish();
}

void Exec::finish() {
  finished_ = true;
  if (result_.reason != ExitReason::kSpawnFailed) {
    if (cancelled_) {
      result_.reason = ExitReason::kCancelled;
    } else if (result_.timed_out) {
      result_.reason = ExitReason::kTimeout;
    } else if (result_.signal) {
      result_.reason = ExitReason::kSignaled;
    } else {
      result_.reason = ExitReason::kExited;
    }
  }
  result_.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started_)
                            .count();
  timer_.cancel();
  drain_timer_.cancel();
  auto callbacks = std::move(on_finish_);
  on_finish_.clear();
  for (auto& callback : callbacks) callback();
}

void Exec::on_finish(std::function<void()> callback) {
  if (finished_) {
    callback();
    return;
  }
  on_finish_.push_back(std::move(callback));
}

asio::awaitable<void> Exec::wait() {
  if (finished_) co_return;
  auto self = shared_from_this();
  auto done = std::make_shared<asio::steady_timer>(io_, asio::steady_timer::time_point::max());
  on_finish([done] { done->cancel(); });
  while (!finished_) co_await done->async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace taskd::exec
