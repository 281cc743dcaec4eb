// What a task is, as plain data: setup steps, an optional main process, an optional check, a
// deadline; and what is known about it (setup outcome, process state). Shared by the wire codec
// (proto/task_types), the disk format (daemon/tasks/task_file) and the domain (daemon/tasks), so
// it lives below all three; it never sees JSON.
#pragma once

#include "common/command_spec.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace taskd::tasks {

// A task's process, check or run step: what to run, and for how long (run steps and checks).
struct TaskCommand {
  CommandSpec command;
  std::int64_t timeout_ms = 0;  // 0 = the default for that use; the process has none
};

struct SetupStep {
  enum class Kind { kWrite, kMkdir, kChmod, kChown, kSymlink, kRemove, kRun };
  Kind kind = Kind::kWrite;
  std::string path;              // the file, directory or link the step is about
  std::string content;           // write: bytes
  std::optional<unsigned> mode;  // write, mkdir, chmod
  std::string owner;             // write, mkdir, chown: "user", "user:group", uids allowed
  std::string target;            // symlink: what the link points to
  bool follow_symlinks = false;  // opt-in: go through symlinks in `path` (unsafe where the agent
                                 // can write); by default any symlink fails the step
  bool parents = true;           // write, mkdir: create missing parent directories
  bool recursive = false;        // remove: whole trees
  TaskCommand run;               // run
};

struct TaskSpec {
  std::vector<SetupStep> setup;
  std::optional<TaskCommand> process;
  std::optional<TaskCommand> check;
  std::int64_t deadline_ms = 0;  // 0: none; counted from creation
};

// The executor's process status shape.
struct ProcessStatus {
  enum class Kind { kWaiting, kRunning, kTerminated };
  Kind kind = Kind::kWaiting;
  std::string reason;   // waiting: why; terminated: completed, error, signaled, stopped,
                        // daemon_restart, daemon_shutdown, spawn_failed
  std::string message;  // terminated: human text
  std::int64_t pid = 0;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::optional<int> exit_code;
  std::optional<int> signal;
};

enum class SetupOutcome { kPending, kReady, kFail };

// Everything persisted about a task (task.json).
struct TaskRecord {
  std::string id;
  std::string spec_json;  // the spec as given, normalised: echoed back and compared by sync
  std::int64_t created_at_ms = 0;
  SetupOutcome setup = SetupOutcome::kPending;
  int failed_step = -1;
  std::string setup_error;
  std::int64_t setup_duration_ms = 0;
  ProcessStatus process;
  bool done = false;  // a poll answered DONE once; DONE is final
};

// What tasks.sync did to each task.
struct SyncReport {
  std::vector<std::string> created;
  std::vector<std::string> replaced;
  std::vector<std::string> deleted;
  std::vector<std::string> unchanged;
  std::vector<std::pair<std::string, std::string>> failed;  // id, setup failure or error
};

}  // namespace taskd::tasks
