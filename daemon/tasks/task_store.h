// Task state on disk: DATA_DIR/tasks/ID/task.json (written atomically and durably: a successful
// save survives a crash) next to the task's process logs. The JSON encoding is injected
// (proto/task_types), so this module stays JSON-free.
#pragma once

#include "common/error.h"
#include "daemon/tasks/task_spec.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskd::tasks {

struct TaskCodec {
  std::function<std::string(const TaskRecord&)> encode;
  std::function<Result<TaskRecord>(std::string_view json)> decode;
  std::function<Result<TaskSpec>(std::string_view spec_json)> decode_spec;
};

class TaskStore {
 public:
  TaskStore(std::string root, TaskCodec codec);

  Result<void> save(const TaskRecord& record);
  // Every readable record; unreadable ones are logged and skipped, never fatal. Temp files left
  // by a crash, and directories without task.json, are removed.
  std::vector<TaskRecord> load_all();
  Result<void> remove(const std::string& id);
  std::string dir_of(const std::string& id) const { return root_ + "/" + id; }
  const TaskCodec& codec() const { return codec_; }

 private:
  std::optional<TaskRecord> load_one(const std::string& id);

  std::string root_;
  TaskCodec codec_;
};

}  // namespace taskd::tasks
