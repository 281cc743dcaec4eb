// All tasks: create (run setup → READY/FAIL, start the process), poll (DONE / INPROGRESS /
// ERROR), delete, reconcile to a desired list, and keep every task's state on disk so a restart
// shows the same list (a process that was running is reported terminated, daemon_restart).
#pragma once

#include "daemon/process/child.h"
#include "daemon/tasks/blocking_pool.h"
#include "daemon/tasks/task_store.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace taskd::process {
class Reaper;
}

namespace taskd::tasks {

struct PollResult {
  enum class Status { kDone, kInProgress, kError };
  Status status = Status::kInProgress;
  std::string description;
};
std::string_view poll_status_name(PollResult::Status status);

struct DesiredTask {
  std::string id;
  TaskSpec spec;
  std::string spec_json;
};

class TaskManager {
 public:
  // type: created, ready, failed, process_started, process_exited, done, deleted
  using OnEvent = std::function<void(std::string_view type, const TaskRecord& record)>;

  TaskManager(boost::asio::io_context& io, process::Reaper& reaper, std::string data_dir);

  // Reads the tasks left by an earlier run. Processes cannot be re-adopted.
  void load();
  void on_event(OnEvent handler) { on_event_ = std::move(handler); }

  // kAlreadyExists, kInvalidParams (bad id or paths), kIo when task.json cannot be made durable
  // (the task is then not kept). The record says READY or FAIL and is on disk.
  boost::asio::awaitable<Result<TaskRecord>> create(DesiredTask task);
  const TaskRecord* get(const std::string& id) const;
  std::vector<const TaskRecord*> list() const;
  // False when there was nothing to delete.
  boost::asio::awaitable<bool> remove(std::string id, std::chrono::milliseconds grace);
  // kIo when a DONE could not be saved (it is then not reported).
  boost::asio::awaitable<Result<PollResult>> poll(std::string id);
  // kInvalidParams naming tasks[i] when any entry is invalid: then nothing is changed.
  boost::asio::awaitable<Result<SyncReport>> sync(std::vector<DesiredTask> desired,
                                                  std::chrono::milliseconds grace);
  // Stops every task process (daemon shutdown); states are saved as daemon_shutdown.
  boost::asio::awaitable<void> stop_all();

  std::size_t size() const { return tasks_.size(); }

 private:
  struct Task {
    TaskRecord record;
    TaskSpec spec;
    std::shared_ptr<process::Child> process;
    std::uint64_t generation = 0;
    bool deleting = false;
  };

  Task* find(const std::string& id, std::uint64_t generation);
  Result<void> save(const Task& task);
  void save_or_log(const Task& task);  // for updates no reply waits on
  void emit(std::string_view type, const Task& task);
  boost::asio::awaitable<Result<void>> run_setup(std::string id, std::uint64_t generation);
  boost::asio::awaitable<Result<void>> run_setup_guarded(std::string id, std::uint64_t generation);
  boost::asio::awaitable<Result<TaskRecord>> finish_ready(std::string id, std::uint64_t generation);
  boost::asio::awaitable<Result<TaskRecord>> abandon(std::string id, Error error);
  void start_process(Task& task);
  void on_process_exit(const std::string& id, std::uint64_t generation, int wait_status);
  Result<void> validate(const DesiredTask& task) const;
  Result<void> validate_all(const std::vector<DesiredTask>& desired) const;

  boost::asio::io_context& io_;
  process::Reaper& reaper_;
  TaskStore store_;
  std::map<std::string, std::unique_ptr<Task>> tasks_;
  std::uint64_t next_generation_ = 1;
  OnEvent on_event_;
  std::string stopping_reason_;  // set during stop_all
  BlockingPool file_work_;       // last: joined before anything above is destroyed
};

}  // namespace taskd::tasks
