#include "daemon/exec/exec.h"

#include "common/duration_limit.h"
#include "common/log.h"
#include "daemon/supervisor/output_pump.h"
#include "daemon/supervisor/reaper.h"
#include "daemon/supervisor/spawn.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <signal.h>
#include <sys/wait.h>

namespace taskd::exec {
namespace asio = boost::asio;
using supervisor::OutputPump;

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

Exec::Exec(asio::io_context& io, supervisor::Reaper& reaper, ExecRequest request,
           OnOutput on_output)
    : io_(io),
      reaper_(reaper),
      request_(std::move(request)),
      on_output_(std::move(on_output)),
      out_(request_.max_output_bytes),
      err_(request_.max_output_bytes),
      started_(std::chrono::steady_clock::now()),
      timer_(io),
      drain_timer_(io) {}

Exec::~Exec() {
  if (pid_ > 0 && !exited_) {
    reaper_.unwatch(pid_);
    ::killpg(pid_, SIGKILL);
  }
}

std::shared_ptr<Exec> Exec::start(asio::io_context& io, supervisor::Reaper& reaper,
                                  ExecRequest request, OnOutput on_output) {
  auto exec = std::make_shared<Exec>(io, reaper, std::move(request), std::move(on_output));
  exec->launch();
  return exec;
}

void Exec::launch() {
  supervisor::SpawnSpec spec = supervisor::command_spec(request_.argv, request_.env, request_.cwd,
                                                        request_.umask, request_.user);
  spec.stdin_mode =
      request_.stdin_data.empty() ? supervisor::StdinMode::kNull : supervisor::StdinMode::kPipe;
  auto spawned = supervisor::spawn_process(spec);
  if (!spawned) {
    result_.reason = ExitReason::kSpawnFailed;
    result_.error = spawned.error().message;
    exited_ = true;
    finish();
    return;
  }
  pid_ = spawned->pid;
  result_.pid = pid_;
  std::weak_ptr<Exec> weak = weak_from_this();
  reaper_.watch(pid_, [weak](int status) {
    if (auto self = weak.lock()) self->on_exit(status);
  });
  auto pump = [&](UniqueFd pipe, OutputCapture& capture, std::string_view stream) {
    ++open_streams_;
    std::uint64_t* offset = stream == "stdout" ? &stdout_offset_ : &stderr_offset_;
    return OutputPump::start(
        io_, std::move(pipe),
        [weak, &capture, stream, offset](std::string_view chunk) {
          auto self = weak.lock();
          if (!self) return;
          capture.append(chunk);
          if (self->on_output_) self->on_output_(stream, *offset, chunk);
          *offset += chunk.size();
        },
        [weak] {
          if (auto self = weak.lock()) {
            --self->open_streams_;
            self->maybe_finish();
          }
        });
  };
  stdout_pump_ = pump(std::move(spawned->stdout_pipe), out_, "stdout");
  stderr_pump_ = pump(std::move(spawned->stderr_pipe), err_, "stderr");
  if (spawned->stdin_pipe) {
    stdin_pipe_ = std::move(spawned->stdin_pipe);
    write_stdin();
  }
  if (request_.timeout_ms > 0) {
    timer_.expires_after(bounded_ms(request_.timeout_ms));
    timer_.async_wait([weak](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (!ec && self) self->on_timeout();
    });
  }
}

void Exec::write_stdin() {
  stdin_writer_ = std::make_shared<asio::posix::stream_descriptor>(io_, stdin_pipe_.release());
  // The handler keeps the Exec (and so the buffer) alive until the write ends; it ends at the
  // latest when the child exits and the pipe breaks, or when finish() closes it.
  asio::async_write(*stdin_writer_, asio::buffer(request_.stdin_data),
                    [self = shared_from_this()](const boost::system::error_code&, std::size_t) {
                      boost::system::error_code ignored;
                      if (self->stdin_writer_) self->stdin_writer_->close(ignored);
                    });
}

void Exec::on_exit(int wait_status) {
  exited_ = true;
  if (WIFSIGNALED(wait_status)) {
    result_.signal = WTERMSIG(wait_status);
  } else {
    result_.exit_code = WEXITSTATUS(wait_status);
  }
  ::killpg(pid_, SIGKILL);  // anything it left behind in its group
  timer_.cancel();
  drain_timer_.expires_after(kDrainLimit);
  drain_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->finished_) return;
    log(LogChannel::kExec)
        .warn(
            "exec pid={} left its output pipe open (a descendant outside its group); not waiting "
            "for it",
            self->pid_);
    if (self->stdout_pump_) self->stdout_pump_->stop();
    if (self->stderr_pump_) self->stderr_pump_->stop();
    self->open_streams_ = 0;
    self->maybe_finish();
  });
  maybe_finish();
}

void Exec::on_timeout() {
  if (exited_) return;
  result_.timed_out = true;
  ::killpg(pid_, request_.stop_signal);
  timer_.expires_after(bounded_ms(request_.kill_grace_ms));
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!ec && self && !self->exited_) ::killpg(self->pid_, SIGKILL);
  });
}

void Exec::cancel() {
  if (finished_ || cancelled_) return;
  cancelled_ = true;
  if (pid_ > 0 && !exited_) ::killpg(pid_, SIGKILL);
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
  if (stdin_writer_) {
    boost::system::error_code ignored;
    stdin_writer_->close(ignored);
  }
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
