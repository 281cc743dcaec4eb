#include "daemon/tasks/task_store.h"

#include "common/atomic_file.h"
#include "common/ids.h"
#include "common/log.h"
#include "daemon/tasks/path_policy.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace taskd::tasks {

TaskStore::TaskStore(std::string root, TaskCodec codec)
    : root_(std::move(root)), codec_(std::move(codec)) {}

Result<void> TaskStore::save(const TaskRecord& record) {
  if (auto made = create_directories_durably(dir_of(record.id)); !made) return made.error();
  return write_file_atomically(dir_of(record.id) + "/task.json", codec_.encode(record));
}

std::vector<TaskRecord> TaskStore::load_all() {
  std::vector<TaskRecord> records;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root_, ec)) {
    std::string id = entry.path().filename().string();
    if (!entry.is_symlink() && entry.is_directory() && is_valid_task_id(id)) {
      if (auto record = load_one(id)) records.push_back(std::move(*record));
    }
  }
  return records;
}

// Cleans what a crash can leave (temp files; a directory whose first save never completed, so
// its create was never acknowledged), then reads task.json.
std::optional<TaskRecord> TaskStore::load_one(const std::string& id) {
  std::string path = dir_of(id) + "/task.json";
  if (int stale = remove_stale_temp_files(path); stale > 0)
    log(LogChannel::kTask).info("removed {} unfinished save(s) of task {}", stale, id);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) {
    log(LogChannel::kTask).info("removing task directory {}: it has no task.json", dir_of(id));
    if (auto removed = remove(id); !removed)
      log(LogChannel::kTask).error("{}", removed.error().message);
    return std::nullopt;
  }
  auto text = read_whole_file(path);
  auto record = text ? codec_.decode(*text) : Result<TaskRecord>(text.error());
  if (!record || record->id != id) {
    log(LogChannel::kTask)
        .error("skipping unreadable task state path={} error={}", path,
               record ? "id mismatch" : record.error().message);
    return std::nullopt;
  }
  return std::move(*record);
}

Result<void> TaskStore::remove(const std::string& id) {
  // An empty directory (a first save that failed) goes without needing a descriptor: this also
  // works at the fd limit.
  if (::rmdir(dir_of(id).c_str()) == 0 || errno == ENOENT) return {};
  std::error_code ec;
  std::filesystem::remove_all(dir_of(id), ec);
  if (ec) return make_error(ErrorCode::kIo, "failed to remove " + dir_of(id) + ": " + ec.message());
  return {};
}

}  // namespace taskd::tasks
