// Task state on disk: DATA_DIR/tasks/ID/task.json (written atomically and durably: a successful
// save survives a crash) next to the task's process logs. The file format is task_file.h.
#pragma once

#include "common/error.h"
#include "common/task_spec.h"

#include <optional>
#include <string>
#include <vector>

namespace taskd::tasks {

class TaskStore {
 public:
  explicit TaskStore(std::string root);

  Result<void> save(const TaskRecord& record);
  // Every readable record; unreadable ones are logged and skipped, never fatal. Temp files left
  // by a crash, and directories without task.json, are removed.
  std::vector<TaskRecord> load_all();
  Result<void> remove(const std::string& id);
  std::string dir_of(const std::string& id) const { return root_ + "/" + id; }

 private:
  std::optional<TaskRecord> load_one(const std::string& id);

  std::string root_;
};

}  // namespace taskd::tasks
