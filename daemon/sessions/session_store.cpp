#include "daemon/sessions/session_store.h"

#include "common/atomic_file.h"
#include "common/ids.h"
#include "common/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace taskd::sessions {
namespace {

// error.data.errno: the symbolic name ("ENOSPC"), unless the error already has one.
Error with_errno(Error error, int number) {
  for (const auto& [key, value] : error.data) {
    if (key == "errno") return error;
  }
  const char* name = number > 0 ? ::strerrorname_np(number) : nullptr;
  return name ? std::move(error).with("errno", name) : error;
}

}  // namespace

std::vector<proto::SessionRecord> SessionStore::load() const {
  std::vector<proto::SessionRecord> records;
  std::error_code ec;
  int stale = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    std::string id = entry.path().filename().string();
    if (!entry.is_directory() || !is_valid_task_id(id)) continue;
    std::string file = entry.path().string() + "/session.json";
    stale += remove_stale_temp_files(file);
    auto text = read_whole_file(file);
    if (!text) continue;
    auto record = proto::decode_session_file(*text);
    if (!record || record->id != id) {
      log(LogChannel::kSess).error("skipping unreadable session.json of {}", id);
      continue;
    }
    records.push_back(std::move(*record));
  }
  if (stale > 0) log(LogChannel::kSess).info("removed {} stale session.json.tmp file(s)", stale);
  return records;
}

Result<void> SessionStore::save(const proto::SessionRecord& record) const {
  auto saved = write_file_atomically(dir_of(record.id) + "/session.json",
                                     proto::encode_session_file(record));
  int error = errno;  // write_file_atomically returns with errno from the call that failed
  if (saved) return {};
  log(LogChannel::kSess).error("failed to save session {}: {}", record.id, saved.error().message);
  return with_errno(saved.error(), error);
}

Result<void> SessionStore::make_dirs(const std::string& id) const {
  std::string dir = dir_of(id);
  std::error_code ec;
  std::filesystem::create_directories(dir + "/work", ec);
  if (ec) {
    return with_errno(
        make_error(ErrorCode::kIo, "failed to create " + dir + "/work: " + ec.message()),
        ec.value());
  }
  ::chmod(dir.c_str(), 0700);  // one session's files are not another's business
  return {};
}

void SessionStore::remove_empty_dirs(const std::string& id) const {
  ::rmdir((dir_of(id) + "/work").c_str());  // only when empty: never anyone's files
  ::rmdir(dir_of(id).c_str());
}

}  // namespace taskd::sessions
