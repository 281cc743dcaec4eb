// Shared helpers for the benchmarks: latency percentiles, starting a real taskd, printing.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace taskd::bench {

using Clock = std::chrono::steady_clock;

struct Percentiles {
  double p50_us = 0, p95_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
};

inline Percentiles percentiles(std::vector<std::int64_t> nanos) {
  Percentiles p;
  if (nanos.empty()) return p;
  std::sort(nanos.begin(), nanos.end());
  auto at = [&](double q) {
    std::size_t i = static_cast<std::size_t>(q * static_cast<double>(nanos.size() - 1));
    return static_cast<double>(nanos[i]) / 1000.0;
  };
  p.p50_us = at(0.50);
  p.p95_us = at(0.95);
  p.p99_us = at(0.99);
  p.p999_us = at(0.999);
  p.max_us = static_cast<double>(nanos.back()) / 1000.0;
  return p;
}

// Starts `binary -c config --foreground --ready-fd N` with stdio on /dev/null and waits until it
// is listening; throws when it does not become ready within 20 s.
pid_t start_taskd_ready(const std::string& binary, const std::string& config);

// A taskd started from `binary` in a fresh temp dir with `config_body` under [daemon];
// stopped with SIGTERM on destruction.
class BenchDaemon {
 public:
  BenchDaemon(const std::string& binary, const std::string& extra_config = "");
  ~BenchDaemon();
  const std::string& socket() const { return socket_; }
  const std::string& dir() const { return dir_; }
  pid_t pid() const { return pid_; }

 private:
  std::string dir_;
  std::string socket_;
  pid_t pid_ = -1;
};

// Resident set size of a process in KiB (VmRSS), or -1.
long rss_kib(pid_t pid);
// User+system CPU seconds consumed by a process so far (from /proc/PID/stat), or -1.
double cpu_seconds(pid_t pid);

}  // namespace taskd::bench
