// startup_bench: what a microVM pays for taskd. The static binary's size, start-to-listening
// time (exec until the --ready-fd newline, median of N starts), idle RSS, and the guest
// boot-to-ready time of the last e2e boot (tests/e2e/microvm_boot_test.sh) when there is one.
// The dynamically linked build is measured beside it for comparison.
//   startup_bench [--starts N] [--static PATH] [--dynamic PATH] [--e2e-result FILE]
#include "tests/bench/bench_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace taskd::bench {
namespace {

struct Started {
  pid_t pid = -1;
  double ms = 0;  // exec to ready
};

// Starts `binary` with `config` and times exec to readiness.
Started start_taskd(const std::string& binary, const std::string& config) {
  auto begin = Clock::now();
  pid_t pid = start_taskd_ready(binary, config);
  return {pid, std::chrono::duration<double, std::milli>(Clock::now() - begin).count()};
}

void stop(pid_t pid) {
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
}

struct Figures {
  double median_ms = 0, min_ms = 0, max_ms = 0;
  long idle_rss_kib = -1;
};

Figures measure(const std::string& binary, const std::string& dir, int starts) {
  std::string config = dir + "/taskd.toml";
  std::ofstream(config) << "[daemon]\nsocket = \"" << dir << "/taskd.sock\"\ndata_dir = \"" << dir
                        << "/data\"\n";
  stop(start_taskd(binary, config).pid);  // warm the page cache
  std::vector<std::int64_t> micros;
  for (int i = 0; i < starts; ++i) {
    Started s = start_taskd(binary, config);
    micros.push_back(static_cast<std::int64_t>(s.ms * 1000));
    stop(s.pid);
  }
  std::sort(micros.begin(), micros.end());
  Figures f;
  f.median_ms = static_cast<double>(micros[micros.size() / 2]) / 1000;
  f.min_ms = static_cast<double>(micros.front()) / 1000;
  f.max_ms = static_cast<double>(micros.back()) / 1000;
  Started idle = start_taskd(binary, config);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  f.idle_rss_kib = rss_kib(idle.pid);
  stop(idle.pid);
  return f;
}

long file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long>(st.st_size) : -1;
}

const char* verdict(bool met) { return met ? "met" : "MISSED"; }

}  // namespace
}  // namespace taskd::bench

int main(int argc, char** argv) {
  using namespace taskd::bench;
  std::string static_taskd = TASKD_STATIC_BIN, static_taskctl = TASKCTL_STATIC_BIN;
  std::string dynamic_taskd = TASKD_BIN, e2e_result = TASKD_E2E_RESULT;
  int starts = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--starts") starts = std::max(1, std::atoi(argv[i + 1]));
    if (flag == "--static") static_taskd = argv[i + 1];
    if (flag == "--dynamic") dynamic_taskd = argv[i + 1];
    if (flag == "--e2e-result") e2e_result = argv[i + 1];
  }
  std::string dir = "/tmp/taskd-startup-XXXXXX";
  if (!::mkdtemp(dir.data())) return 1;

  long taskd_bytes = file_size(static_taskd), taskctl_bytes = file_size(static_taskctl);
  std::printf("startup_bench: %d starts each, median exec-to-listening\n", starts);
  std::printf("static binaries (stripped): taskd %.2f MB, taskctl %.2f MB\n", taskd_bytes / 1e6,
              taskctl_bytes / 1e6);
  Figures fs = measure(static_taskd, dir, starts);
  Figures fd = measure(dynamic_taskd, dir, starts);
  std::printf("%-8s start-to-listening median %.2f ms (min %.2f, max %.2f), idle RSS %ld KiB\n",
              "static", fs.median_ms, fs.min_ms, fs.max_ms, fs.idle_rss_kib);
  std::printf("%-8s start-to-listening median %.2f ms (min %.2f, max %.2f), idle RSS %ld KiB\n",
              "dynamic", fd.median_ms, fd.min_ms, fd.max_ms, fd.idle_rss_kib);

  std::ifstream boot(e2e_result);
  std::string line;
  if (std::getline(boot, line)) {
    std::printf("guest boot-to-ready (last e2e run): %s\n", line.c_str());
  } else {
    std::printf("guest boot-to-ready: no e2e result at %s (run ctest -L e2e)\n",
                e2e_result.c_str());
  }
  std::printf("targets: taskd < 3 MB [%s], start-to-listening < 5 ms [%s], idle RSS < 4 MB [%s]\n",
              verdict(taskd_bytes > 0 && taskd_bytes < 3'000'000), verdict(fs.median_ms < 5),
              verdict(fs.idle_rss_kib > 0 && fs.idle_rss_kib < 4096));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
