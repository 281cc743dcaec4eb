#include "daemon/tasks/task_manager.h"

#include "common/ids.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/wall_time.h"
#include "daemon/exec/exec.h"
#include "daemon/tasks/file_steps.h"
#include "daemon/tasks/path_policy.h"
#include "daemon/tasks/task_file.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>

#include <chrono>

namespace taskd::tasks {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::int64_t kDefaultRunTimeoutMs = 60'000;
constexpr std::int64_t kDefaultCheckTimeoutMs = 30'000;
constexpr std::uint64_t kCommandOutputLimit = 64 * 1024;
// A process about to start: on disk only, between the READY save and the one with the pid.
constexpr std::string_view kStartingReason = "starting";
// Setup file steps of all tasks share these threads.
constexpr std::size_t kFileWorkThreads = 2;
constexpr std::uint64_t kLogMaxBytes = 50 * 1024 * 1024;
constexpr int kLogBackups = 3;

// A task's main process: its output appended to the task's stdout.log and stderr.log.
process::ChildSpec main_process_spec(const TaskCommand& process, const std::string& task_dir) {
  process::ChildSpec spec;
  spec.command = process.command;
  spec.out = process::Output::log_file(task_dir + "/stdout.log", kLogMaxBytes, kLogBackups,
                                       LogChannel::kTask);
  spec.err = process::Output::log_file(task_dir + "/stderr.log", kLogMaxBytes, kLogBackups,
                                       LogChannel::kTask);
  return spec;
}

exec::ExecRequest command_request(const TaskCommand& run, std::int64_t default_timeout_ms) {
  exec::ExecRequest request;
  request.command = run.command;
  request.timeout_ms = run.timeout_ms > 0 ? run.timeout_ms : default_timeout_ms;
  request.max_output_bytes = kCommandOutputLimit;
  return request;
}

// "exit status 2: <stderr>" for a command that did not succeed.
std::string command_failure(const exec::Exec& run) {
  const auto& r = run.result();
  std::string what;
  switch (r.reason) {
    case exec::ExitReason::kSpawnFailed: return r.error;
    case exec::ExitReason::kTimeout: what = "timed out"; break;
    case exec::ExitReason::kSignaled: what = "terminated by " + signal_name(*r.signal); break;
    case exec::ExitReason::kCancelled: what = "cancelled"; break;
    case exec::ExitReason::kExited:
      what = "exit status " + std::to_string(r.exit_code.value_or(-1));
      break;
  }
  std::string err = run.stderr_capture().bytes();
  if (err.size() > 500) err = err.substr(0, 500) + "...";
  while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
  return err.empty() ? what : what + ": " + err;
}

bool succeeded(const exec::Exec& run) {
  return run.result().reason == exec::ExitReason::kExited && run.result().exit_code == 0;
}

}  // namespace

std::string_view poll_status_name(PollResult::Status status) {
  switch (status) {
    case PollResult::Status::kDone: return "DONE";
    case PollResult::Status::kInProgress: return "INPROGRESS";
    case PollResult::Status::kError: return "ERROR";
  }
  return "ERROR";
}

TaskManager::TaskManager(asio::io_context& io, process::Reaper& reaper, std::string data_dir)
    : io_(io), reaper_(reaper), store_(data_dir + "/tasks"), file_work_(kFileWorkThreads) {}

void TaskManager::load() {
  for (auto& record : store_.load_all()) {
    auto spec = decode_task_spec_json(record.spec_json);
    if (!spec) {
      log(LogChannel::kTask)
          .error("skipping task {}: its spec no longer decodes: {}", record.id,
                 spec.error().message);
      continue;
    }
    auto task = std::make_unique<Task>();
    task->spec = std::move(*spec);
    task->generation = next_generation_++;
    bool was_starting = record.process.kind == ProcessStatus::Kind::kWaiting &&
                        record.process.reason == kStartingReason;
    if (record.process.kind == ProcessStatus::Kind::kRunning || was_starting) {
      // The process belonged to an earlier taskd: it cannot be re-adopted (it may even be gone).
      record.process.kind = ProcessStatus::Kind::kTerminated;
      record.process.reason = "daemon_restart";
      record.process.message = "taskd restarted while the process ran; its outcome is unknown";
      record.process.finished_at_ms = unix_now_ms();
    }
    if (record.setup == SetupOutcome::kPending) {
      record.setup = SetupOutcome::kFail;
      record.setup_error = "taskd restarted during setup";
      if (record.process.kind == ProcessStatus::Kind::kWaiting)
        record.process.reason = "setup_failed";
    }
    task->record = std::move(record);
    save_or_log(*task);
    std::string id = task->record.id;
    tasks_[id] = std::move(task);
  }
  if (!tasks_.empty()) log(LogChannel::kTask).info("loaded {} task(s) from disk", tasks_.size());
}

TaskManager::Task* TaskManager::find(const std::string& id, std::uint64_t generation) {
  auto found = tasks_.find(id);
  if (found == tasks_.end() || found->second->generation != generation) return nullptr;
  return found->second.get();
}

Result<void> TaskManager::save(const Task& task) {
  auto saved = store_.save(task.record);
  if (!saved) {
    log(LogChannel::kTask)
        .error("failed to save task {}: {}", task.record.id, saved.error().message);
    Error error = saved.error();
    error.message = "task " + task.record.id + " could not be saved: " + error.message;
    return std::move(error).with("id", task.record.id);
  }
  return {};
}

void TaskManager::save_or_log(const Task& task) { (void)save(task); }

void TaskManager::emit(std::string_view type, const Task& task) {
  if (on_event_) on_event_(type, task.record);
}

Result<void> TaskManager::validate(const DesiredTask& task) const {
  if (!is_valid_task_id(task.id)) {
    return make_error(ErrorCode::kInvalidParams,
                      "task id must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}")
        .with("field", "id");
  }
  for (std::size_t i = 0; i < task.spec.setup.size(); ++i) {
    const SetupStep& step = task.spec.setup[i];
    if (step.kind == SetupStep::Kind::kRun) continue;
    if (auto ok = check_setup_path(step.path); !ok) {
      Error error = ok.error();
      error.message = "setup[" + std::to_string(i) + "]: " + error.message;
      return std::move(error).with("field", "spec.setup[" + std::to_string(i) + "].path");
    }
  }
  return {};
}

asio::awaitable<Result<TaskRecord>> TaskManager::create(DesiredTask desired) {
  if (auto ok = validate(desired); !ok) co_return ok.error();
  if (tasks_.contains(desired.id)) {
    co_return make_error(ErrorCode::kAlreadyExists, "task " + desired.id + " already exists")
        .with("id", desired.id);
  }
  auto task = std::make_unique<Task>();
  task->spec = std::move(desired.spec);
  task->generation = next_generation_++;
  task->record.id = desired.id;
  task->record.spec_json = std::move(desired.spec_json);
  task->record.created_at_ms = unix_now_ms();
  task->record.process.reason = task->spec.process ? "setup" : "no_process";
  std::uint64_t generation = task->generation;
  std::string id = desired.id;
  Task& added = *(tasks_[id] = std::move(task));
  // Saved PENDING before setup changes anything, so a crash during setup leaves a FAIL record.
  if (!added.spec.setup.empty()) {
    if (auto saved = save(added); !saved) co_return co_await abandon(id, saved.error());
  }
  emit("created", added);

  auto started = Clock::now();
  Result<void> setup = co_await run_setup_guarded(id, generation);
  Task* current = find(id, generation);
  if (!current)
    co_return make_error(ErrorCode::kNotFound, "task " + id + " was deleted during its setup");
  current->record.setup_duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  if (!setup) {
    current->record.setup = SetupOutcome::kFail;
    current->record.setup_error = setup.error().message;
    current->record.process.reason = "setup_failed";
    log(LogChannel::kTask)
        .info("task {} FAIL: step {}: {}", id, current->record.failed_step, setup.error().message);
    if (auto saved = save(*current); !saved) co_return co_await abandon(id, saved.error());
    emit("failed", *current);
    co_return current->record;
  }
  co_return co_await finish_ready(id, generation);
}

// READY is saved before the process starts (a crash in between reports daemon_restart), and
// again with its pid; the reply waits for both.
asio::awaitable<Result<TaskRecord>> TaskManager::finish_ready(std::string id,
                                                              std::uint64_t generation) {
  Task* task = find(id, generation);
  if (!task) co_return make_error(ErrorCode::kNotFound, "task " + id + " was deleted");
  task->record.setup = SetupOutcome::kReady;
  task->record.failed_step = -1;
  if (task->spec.process) task->record.process.reason = std::string(kStartingReason);
  if (auto saved = save(*task); !saved) co_return co_await abandon(id, saved.error());
  if (task->spec.process) {
    start_process(*task);
    if (auto saved = save(*task); !saved) co_return co_await abandon(id, saved.error());
  }
  log(LogChannel::kTask).info("task {} READY in {} ms", id, task->record.setup_duration_ms);
  emit("ready", *task);
  co_return task->record;
}

// A task whose state could not be made durable is not kept: its process is stopped, its
// directory removed, and the caller gets the save error (IO_ERROR with data.errno).
asio::awaitable<Result<TaskRecord>> TaskManager::abandon(std::string id, Error error) {
  log(LogChannel::kTask).error("dropping task {}: {}", id, error.message);
  co_await remove(id, std::chrono::milliseconds(0));
  co_return error;
}

asio::awaitable<Result<void>> TaskManager::run_setup_guarded(std::string id,
                                                             std::uint64_t generation) {
  Result<void> outcome;
  try {
    outcome = co_await run_setup(id, generation);
  } catch (const std::exception& e) {
    outcome = make_error(ErrorCode::kInternal, std::string("unexpected failure: ") + e.what());
  }
  co_return outcome;
}

asio::awaitable<Result<void>> TaskManager::run_setup(std::string id, std::uint64_t generation) {
  for (std::size_t i = 0;; ++i) {
    Task* task = find(id, generation);
    if (!task) co_return make_error(ErrorCode::kCancelled, "deleted");
    if (i >= task->spec.setup.size()) co_return Result<void>{};
    task->record.failed_step = static_cast<int>(i);
    const SetupStep& step = task->spec.setup[i];
    std::string label =
        "step " + std::to_string(i) + " (" + std::string(step_kind_name(step.kind)) + ")";
    if (step.kind != SetupStep::Kind::kRun) {
      // On the pool, with its own copy: the task may be deleted while the step runs.
      std::function<Result<void>()> work = [copy = step] { return apply_file_step(copy); };
      Result<void> applied = co_await file_work_.run(std::move(work));
      if (!applied) {
        Error error = applied.error();
        error.message = label + ": " + error.message;
        co_return error;
      }
      continue;
    }
    auto run = exec::Exec::start(io_, reaper_, command_request(step.run, kDefaultRunTimeoutMs));
    co_await run->wait();
    if (!succeeded(*run))
      co_return make_error(ErrorCode::kSpawnFailed, label + ": " + command_failure(*run));
  }
}

void TaskManager::start_process(Task& task) {
  std::string id = task.record.id;
  std::uint64_t generation = task.generation;
  auto child = process::Child::spawn(
      io_, reaper_, main_process_spec(*task.spec.process, store_.dir_of(id)),
      [this, id, generation](int status) { on_process_exit(id, generation, status); });
  ProcessStatus& status = task.record.process;
  if (!child) {
    status.kind = ProcessStatus::Kind::kTerminated;
    status.reason = "spawn_failed";
    status.message = child.error().message;
    status.started_at_ms = status.finished_at_ms = unix_now_ms();
    return;
  }
  task.process = *child;
  status.kind = ProcessStatus::Kind::kRunning;
  status.reason.clear();
  status.pid = task.process->pid();
  status.started_at_ms = unix_now_ms();
  log(LogChannel::kTask).info("task {} process started pid={}", id, status.pid);
  emit("process_started", task);
}

void TaskManager::on_process_exit(const std::string& id, std::uint64_t generation,
                                  int wait_status) {
  Task* task = find(id, generation);
  if (!task) return;
  ProcessStatus& status = task->record.process;
  status.kind = ProcessStatus::Kind::kTerminated;
  status.finished_at_ms = unix_now_ms();
  status.pid = 0;
  if (WIFSIGNALED(wait_status)) {
    status.signal = WTERMSIG(wait_status);
    status.reason = !stopping_reason_.empty() ? stopping_reason_
                    : task->deleting          ? "stopped"
                                              : "signaled";
    status.message = "terminated by " + signal_name(*status.signal);
  } else {
    status.exit_code = WEXITSTATUS(wait_status);
    status.reason = *status.exit_code == 0 ? "completed" : "error";
    if (!stopping_reason_.empty() || task->deleting)
      status.reason = !stopping_reason_.empty() ? stopping_reason_ : "stopped";
    status.message = "exit status " + std::to_string(*status.exit_code);
  }
  log(LogChannel::kTask).info("task {} process exited: {}", id, status.message);
  save_or_log(*task);
  emit("process_exited", *task);
}

const TaskRecord* TaskManager::get(const std::string& id) const {
  auto found = tasks_.find(id);
  return found == tasks_.end() ? nullptr : &found->second->record;
}

std::vector<const TaskRecord*> TaskManager::list() const {
  std::vector<const TaskRecord*> records;
  records.reserve(tasks_.size());
  for (const auto& [id, task] : tasks_) records.push_back(&task->record);
  return records;
}

asio::awaitable<bool> TaskManager::remove(std::string id, std::chrono::milliseconds grace) {
  auto found = tasks_.find(id);
  if (found == tasks_.end()) co_return false;
  Task* task = found->second.get();
  std::uint64_t generation = task->generation;
  if (task->deleting) co_return true;  // another delete is finishing it
  task->deleting = true;
  if (auto process = task->process; process && process->running())
    co_await process->stop(grace, SIGTERM);
  task = find(id, generation);
  if (!task) co_return true;
  TaskRecord last = task->record;
  tasks_.erase(id);
  if (auto removed = store_.remove(id); !removed) {
    log(LogChannel::kTask)
        .error("failed to remove the state of task {}: {}", id, removed.error().message);
  }
  log(LogChannel::kTask).info("task {} deleted", id);
  if (on_event_) on_event_("deleted", last);
  co_return true;
}

asio::awaitable<Result<PollResult>> TaskManager::poll(std::string id) {
  using S = PollResult::Status;
  auto found = tasks_.find(id);
  if (found == tasks_.end())
    co_return make_error(ErrorCode::kNotFound, "no such task: " + id).with("id", id);
  Task* task = found->second.get();
  std::uint64_t generation = task->generation;
  const TaskRecord& record = task->record;
  if (record.done) co_return PollResult{S::kDone, "done"};
  if (record.setup == SetupOutcome::kPending)
    co_return PollResult{S::kInProgress, "setup is running"};
  if (record.setup == SetupOutcome::kFail)
    co_return PollResult{S::kError, "setup failed: " + record.setup_error};
  if (task->spec.deadline_ms > 0 && unix_now_ms() - record.created_at_ms > task->spec.deadline_ms) {
    co_return PollResult{S::kError,
                         "deadline passed (" + std::to_string(task->spec.deadline_ms) + " ms)"};
  }
  PollResult result{S::kDone, "done"};
  if (task->spec.check) {
    auto check =
        exec::Exec::start(io_, reaper_, command_request(*task->spec.check, kDefaultCheckTimeoutMs));
    co_await check->wait();
    task = find(id, generation);
    if (!task)
      co_return make_error(ErrorCode::kNotFound, "task " + id + " was deleted during its check");
    if (!succeeded(*check)) {
      bool ran = check->result().reason == exec::ExitReason::kExited;
      co_return ran ? PollResult{S::kInProgress, "check: " + command_failure(*check)}
                    : PollResult{S::kError, "check failed to run: " + command_failure(*check)};
    }
  } else if (task->spec.process) {
    const ProcessStatus& process = task->record.process;
    if (process.kind != ProcessStatus::Kind::kTerminated)
      co_return PollResult{S::kInProgress, "process is running"};
    if (process.reason != "completed") {
      co_return PollResult{S::kError, "process " + process.reason + ": " + process.message};
    }
  }
  task->record.done = true;
  if (auto saved = save(*task); !saved) {
    task->record.done = false;  // DONE is final only once it is on disk
    co_return saved.error();
  }
  emit("done", *task);
  co_return result;
}

Result<void> TaskManager::validate_all(const std::vector<DesiredTask>& desired) const {
  for (std::size_t i = 0; i < desired.size(); ++i) {
    auto ok = validate(desired[i]);
    if (ok) continue;
    Error error = ok.error();
    std::string prefix = "tasks[" + std::to_string(i) + "]";
    error.message = prefix + ": " + error.message;
    for (auto& [key, value] : error.data) {
      if (key == "field") value = prefix + "." + value;
    }
    return error;
  }
  return {};
}

asio::awaitable<Result<SyncReport>> TaskManager::sync(std::vector<DesiredTask> desired,
                                                      std::chrono::milliseconds grace) {
  // Every entry is checked before anything changes: one bad entry must not delete the others.
  if (auto valid = validate_all(desired); !valid) co_return valid.error();
  SyncReport report;
  std::vector<std::string> existing;
  for (const auto& [id, task] : tasks_) existing.push_back(id);
  for (const auto& id : existing) {
    bool wanted = std::any_of(desired.begin(), desired.end(),
                              [&](const DesiredTask& d) { return d.id == id; });
    if (wanted) continue;
    bool removed = co_await remove(id, grace);
    if (removed) report.deleted.push_back(id);
  }
  for (auto& task : desired) {
    std::string id = task.id;
    bool replacing = false;
    if (const TaskRecord* current = get(id)) {
      if (current->spec_json == task.spec_json) {
        report.unchanged.push_back(id);
        continue;
      }
      co_await remove(id, grace);
      replacing = true;
    }
    auto created = co_await create(std::move(task));
    if (!created) {
      report.failed.emplace_back(id, created.error().message);
    } else if (created->setup == SetupOutcome::kFail) {
      report.failed.emplace_back(id, created->setup_error);
    } else {
      (replacing ? report.replaced : report.created).push_back(id);
    }
  }
  co_return Result<SyncReport>(std::move(report));
}

asio::awaitable<void> TaskManager::stop_all() {
  stopping_reason_ = "daemon_shutdown";
  std::vector<std::shared_ptr<process::Child>> running;
  for (auto& [id, task] : tasks_) {
    if (task->process && task->process->running()) running.push_back(task->process);
  }
  for (auto& process : running) process->signal(SIGTERM);
  asio::steady_timer tick(io_);
  auto deadline = Clock::now() + std::chrono::seconds(5);
  auto any_running = [&] {
    return std::any_of(running.begin(), running.end(), [](const auto& p) { return p->running(); });
  };
  while (any_running() && Clock::now() < deadline) {
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  for (auto& process : running) {
    process->signal(SIGKILL);  // a no-op for those that are gone
  }
}

}  // namespace taskd::tasks
