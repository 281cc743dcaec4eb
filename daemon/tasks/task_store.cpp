#include "daemon/tasks/task_store.h"

#include "common/atomic_file.h"
#include "common/log.h"
#include "daemon/tasks/path_policy.h"

#include <filesystem>

namespace taskd::tasks {

TaskStore::TaskStore(std::string root, TaskCodec codec)
    : root_(std::move(root)), codec_(std::move(codec)) {}

Result<void> TaskStore::save(const TaskRecord& record) {
  std::error_code ec;
  std::filesystem::create_directories(dir_of(record.id), ec);
  if (ec)
    return make_error(ErrorCode::kIo,
                      "failed to create " + dir_of(record.id) + ": " + ec.message());
  return write_file_atomically(dir_of(record.id) + "/task.json", codec_.encode(record));
}

std::vector<TaskRecord> TaskStore::load_all() {
  std::vector<TaskRecord> records;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root_, ec)) {
    std::string id = entry.path().filename().string();
    if (!entry.is_directory() || !is_valid_task_id(id)) continue;
    std::string path = entry.path().string() + "/task.json";
    auto text = read_whole_file(path);
    auto record = text ? codec_.decode(*text) : Result<TaskRecord>(text.error());
    if (!record || record->id != id) {
      log(LogChannel::kTask)
          .error("skipping unreadable task state path={} error={}", path,
                 record ? "id mismatch" : record.error().message);
      continue;
    }
    records.push_back(std::move(*record));
  }
  return records;
}

Result<void> TaskStore::remove(const std::string& id) {
  std::error_code ec;
  std::filesystem::remove_all(dir_of(id), ec);
  if (ec) return make_error(ErrorCode::kIo, "failed to remove " + dir_of(id) + ": " + ec.message());
  return {};
}

}  // namespace taskd::tasks
