// Test helpers for real processes: temp dirs, running a command to completion with captured
// output, and waiting for a condition without sleeping blindly.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace taskd::test {

// A fresh directory under /tmp (short, so UNIX socket paths fit), removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

// In a forked child: sets `env` over the inherited environment and execs argv (exit 127 on
// failure).
[[noreturn]] void exec_in_child(const std::vector<std::string>& argv,
                                const std::map<std::string, std::string>& env);

RunResult run_process(const std::vector<std::string>& argv, const std::string& input = "",
                      std::chrono::milliseconds timeout = std::chrono::seconds(20),
                      const std::map<std::string, std::string>& env = {});

// Polls `condition` every few milliseconds until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);
bool path_exists(const std::string& path);
std::uint64_t file_size(const std::string& path);  // 0 when missing
// Every live descendant of `pid` (children, grandchildren, ...), from /proc.
std::vector<pid_t> descendants_of(pid_t pid);
// True while `pid` exists and is not a zombie.
bool process_alive(pid_t pid);

}  // namespace taskd::test
