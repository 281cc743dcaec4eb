// session.json, the canonical record of each session, under [sessions] dir: SESSIONS/ID/ (mode
// 0700) with session.json, work/ (the agent's cwd) and agent.stderr.log. "Saved" means the
// record is on disk durably (temp file, fsync, rename, fsync of the directory): a crash leaves
// the old or the new record, never a torn one, and the temp files it may leave are removed at
// load.
#pragma once

#include "common/error.h"
#include "proto/agent_protocol.h"

#include <string>
#include <vector>

namespace taskd::sessions {

class SessionStore {
 public:
  explicit SessionStore(std::string dir) : dir_(std::move(dir)) {}

  // Every readable session.json whose id matches its directory; stale temp files removed.
  std::vector<proto::SessionRecord> load() const;
  // An IO_ERROR with data.errno ("ENOSPC") when the record is not on disk.
  Result<void> save(const proto::SessionRecord& record) const;
  // SESSIONS/ID/work, SESSIONS/ID private to taskd (0700).
  Result<void> make_dirs(const std::string& id) const;
  // Removes the directories make_dirs() made for a session that was never saved, if empty.
  void remove_empty_dirs(const std::string& id) const;

  std::string dir_of(const std::string& id) const { return dir_ + "/" + id; }

 private:
  std::string dir_;
};

}  // namespace taskd::sessions
