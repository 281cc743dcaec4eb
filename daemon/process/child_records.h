// Every child taskd spawns is written down under DATA_DIR/children (one small file per pid,
// holding the child's start time), so that a taskd that died (kill -9, the OOM killer, a crash)
// finds on its next start the children its previous run left behind and stops them before it
// starts anything: no second copy of a program, no task process outliving its task's record.
// The parent writes a record right after the spawn and removes it when the child is reaped.
// Records are not fsynced: they only matter when taskd died and the kernel did not, and the page
// cache survives that; after a reboot every recorded process is gone anyway. A process is
// identified by pid AND start time (/proc/PID/stat field 22), so a recycled pid is never
// signalled.
#pragma once

#include "common/error.h"

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskd::process::child_records {

struct ProcStat {
  pid_t pid = 0;
  char state = '?';  // 'Z': a zombie, already dead
  pid_t pgid = 0;
  pid_t session = 0;
  unsigned long long start_time = 0;  // clock ticks after boot
  std::string command;                // comm: up to 15 bytes the process chose itself
};

// Pure: the fields of a /proc/PID/stat text (comm may hold spaces and parentheses).
std::optional<ProcStat> parse_proc_stat(std::string_view text);
std::optional<ProcStat> read_proc_stat(pid_t pid);

// Starts recording into `dir` (created 0700 when missing). Off until called, so unit tests and
// tools that spawn without a data dir record nothing.
Result<void> enable(const std::string& dir);
void disable();
void remember(pid_t pid);  // after a successful spawn
void forget(pid_t pid);    // after the child was reaped

struct Survivor {
  pid_t pid = 0;
  unsigned long long start_time = 0;
  std::string command;
  // true: a recorded child (a session and group leader), signalled with its whole group. false: a
  // process left in the session of a recorded child that is gone, signalled alone.
  bool leader = true;
};

// The records in `dir` that still name a live process (same pid, same start time, not a zombie)
// and, for a recorded child that is gone, the live members of its session started after it. (Its
// session id cannot have been recycled while any member lives; a pid in use by another process
// means it was, and then nothing of that record is touched.)
std::vector<Survivor> find_survivors(const std::string& dir);

// SIGTERM to SIGKILL for a survivor (a fixed grace: its program's stoptime may have changed).
inline constexpr std::chrono::seconds kSurvivorGrace{5};

// Called at start, before the event loop runs and before anything is spawned (it blocks for at
// most `grace` plus a second). Stops every survivor of a previous run: SIGTERM to its process
// group, SIGKILL after `grace` to those still there, each logged. Then removes every record.
// Returns the survivors it found.
std::vector<Survivor> stop_survivors(const std::string& dir, std::chrono::milliseconds grace);

}  // namespace taskd::process::child_records
