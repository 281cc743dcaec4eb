#include "daemon/process/child_records.h"

#include "common/log.h"
#include "common/unique_fd.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <sstream>
#include <thread>

namespace taskd::process::child_records {
namespace {

UniqueFd g_dir;  // the records directory while recording is on

spdlog::logger& logger() { return log(LogChannel::kSup); }

template <typename Number>
std::optional<Number> parse_number(std::string_view text) {
  Number value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// comm is chosen by the process (prctl PR_SET_NAME): printable ASCII only in the log.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) out += c >= 0x20 && c < 0x7f ? c : '?';
  return out;
}

std::string read_small_file(int dir_fd, const char* name) {
  UniqueFd fd(::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return "";
  char buffer[64];
  ssize_t n = ::read(fd.get(), buffer, sizeof buffer - 1);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
}

std::string read_proc_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return "";
  char buffer[1024];
  ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
}

// The recorded process, if it is still the same one (a zombie counts: its group may live on).
std::optional<ProcStat> same_process(const Survivor& survivor) {
  auto stat = read_proc_stat(survivor.pid);
  if (!stat || stat->start_time != survivor.start_time) return std::nullopt;
  return stat;
}

bool still_running(const Survivor& survivor) {
  auto stat = same_process(survivor);
  return stat && stat->state != 'Z';
}

// Our children are session and group leaders (spawn calls setsid), so the group is theirs: a
// group whose leader still exists (even as a zombie) holds its id, which cannot be recycled.
void signal_survivor(const Survivor& survivor, int signal) {
  auto stat = same_process(survivor);
  if (!stat) return;
  if (survivor.leader && stat->pgid == survivor.pid) {
    ::killpg(survivor.pid, signal);
  } else if (stat->state != 'Z') {
    ::kill(survivor.pid, signal);
  }
}

// Every live process by session id (one pass over /proc for all records).
std::multimap<pid_t, ProcStat> processes_by_session() {
  std::multimap<pid_t, ProcStat> by_session;
  DIR* proc = ::opendir("/proc");
  while (dirent* entry = proc ? ::readdir(proc) : nullptr) {
    auto pid = parse_number<pid_t>(entry->d_name);
    auto stat = pid ? read_proc_stat(*pid) : std::nullopt;
    if (stat && stat->state != 'Z') by_session.emplace(stat->session, std::move(*stat));
  }
  if (proc) ::closedir(proc);
  return by_session;
}

// A recorded child that is gone may have left helpers in its session (`sh -c "helper & exec
// leader"`, the leader then died): those started after it are its.
void add_orphaned_members(const Survivor& gone, const std::multimap<pid_t, ProcStat>& by_session,
                          std::vector<Survivor>& survivors) {
  auto [begin, end] = by_session.equal_range(gone.pid);
  for (auto it = begin; it != end; ++it) {
    const ProcStat& member = it->second;
    if (member.pid == gone.pid || member.pid == ::getpid() || member.start_time < gone.start_time)
      continue;
    survivors.push_back(Survivor{member.pid, member.start_time, printable(member.command), false});
  }
}

bool any_running(const std::vector<Survivor>& survivors) {
  for (const Survivor& survivor : survivors) {
    if (still_running(survivor)) return true;
  }
  return false;
}

bool wait_until_gone(const std::vector<Survivor>& survivors, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (any_running(survivors)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

void remove_all_records(const std::string& dir) {
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  DIR* listing = dir_fd ? ::fdopendir(::dup(dir_fd.get())) : nullptr;
  if (!listing) return;
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(listing)) {
    if (entry->d_name[0] != '.') names.emplace_back(entry->d_name);
  }
  ::closedir(listing);
  for (const auto& name : names) ::unlinkat(dir_fd.get(), name.c_str(), 0);
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return std::nullopt;
  ProcStat stat;
  auto pid = parse_number<pid_t>(text.substr(0, open == 0 ? 0 : open - 1));
  if (!pid) return std::nullopt;
  stat.pid = *pid;
  stat.command = std::string(text.substr(open + 1, close - open - 1));
  // After the command: field 3 (state) onwards, separated by single spaces.
  std::istringstream rest{std::string(text.substr(close + 1))};
  std::vector<std::string> fields;
  for (std::string field; rest >> field;) fields.push_back(field);
  if (fields.size() < 20 || fields[0].size() != 1) return std::nullopt;
  stat.state = fields[0][0];
  auto pgid = parse_number<pid_t>(fields[2]);                 // field 5
  auto session = parse_number<pid_t>(fields[3]);              // field 6
  auto start = parse_number<unsigned long long>(fields[19]);  // field 22
  if (!pgid || !session || !start) return std::nullopt;
  stat.pgid = *pgid;
  stat.session = *session;
  stat.start_time = *start;
  return stat;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  std::string text = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  auto stat = parse_proc_stat(text);
  if (!stat || stat->pid != pid) return std::nullopt;
  return stat;
}

Result<void> enable(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error(ErrorCode::kIo, "failed to create " + dir + ": " + std::strerror(errno));
  }
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return make_error(ErrorCode::kIo, "failed to open " + dir + ": " + std::strerror(errno));
  g_dir = std::move(fd);
  return {};
}

void disable() { g_dir.reset(); }

void remember(pid_t pid) {
  if (!g_dir) return;
  auto stat = read_proc_stat(pid);
  if (!stat) return;  // cannot happen for an unreaped child; nothing to identify it by
  std::string name = std::to_string(pid);
  std::string text = std::to_string(stat->start_time) + "\n";
  UniqueFd fd(::openat(g_dir.get(), name.c_str(),
                       O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    logger().warn("failed to record child pid={}: {}", pid, std::strerror(errno));
  }
}

void forget(pid_t pid) {
  if (g_dir) ::unlinkat(g_dir.get(), std::to_string(pid).c_str(), 0);
}

std::vector<Survivor> find_survivors(const std::string& dir) {
  std::vector<Survivor> survivors;
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  DIR* listing = dir_fd ? ::fdopendir(::dup(dir_fd.get())) : nullptr;
  if (!listing) return survivors;
  std::optional<std::multimap<pid_t, ProcStat>> by_session;  // read once, when first needed
  while (dirent* entry = ::readdir(listing)) {
    auto pid = parse_number<pid_t>(entry->d_name);
    std::string text = pid ? read_small_file(dir_fd.get(), entry->d_name) : "";
    if (!text.empty() && text.back() == '\n') text.pop_back();
    auto start = parse_number<unsigned long long>(text);
    if (!pid || *pid <= 1 || *pid == ::getpid() || !start) continue;
    Survivor survivor{*pid, *start, "", true};
    auto stat = read_proc_stat(*pid);
    if (stat && stat->start_time != *start) continue;  // the pid was recycled: so was its session
    if (!stat || stat->state == 'Z') {
      if (!by_session) by_session = processes_by_session();
      add_orphaned_members(survivor, *by_session, survivors);
      continue;
    }
    survivor.command = printable(stat->command);
    survivors.push_back(survivor);
  }
  ::closedir(listing);
  return survivors;
}

std::vector<Survivor> stop_survivors(const std::string& dir, std::chrono::milliseconds grace) {
  std::vector<Survivor> survivors = find_survivors(dir);
  for (const Survivor& survivor : survivors) {
    logger().warn("stopping pid={} ('{}') left running by a previous taskd: SIGTERM to {}",
                  survivor.pid, survivor.command, survivor.leader ? "its group" : "it");
    signal_survivor(survivor, SIGTERM);
    signal_survivor(survivor, SIGCONT);  // a stopped process must run to see SIGTERM
  }
  if (!survivors.empty() && !wait_until_gone(survivors, grace)) {
    for (const Survivor& survivor : survivors) {
      if (!still_running(survivor)) continue;
      logger().warn(
          "killing pid={} ('{}') left by a previous taskd: still running {} ms after "
          "SIGTERM",
          survivor.pid, survivor.command, grace.count());
    }
  }
  // Also reaches helpers in the group of a leader that exited on SIGTERM but is not reaped yet.
  for (const Survivor& survivor : survivors) signal_survivor(survivor, SIGKILL);
  wait_until_gone(survivors, std::chrono::seconds(1));
  remove_all_records(dir);
  return survivors;
}

}  // namespace taskd::process::child_records
