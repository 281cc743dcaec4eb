// supervise_bench: process supervision costs, against supervisord in the same run when it is
// installed.
//   - time to bring N processes (default 500) to RUNNING with starttime 0, and processes/s
//   - daemon CPU (user+sys) and wall time to capture 1 GiB written by one child to a log file
//   - daemon RSS idle with 0 programs and with 1000 supervised processes
//   supervise_bench [--procs N] [--rss-procs N] [--capture-mib N] [--no-supervisord]
#include "common/client_socket.h"
#include "tests/bench/bench_util.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace taskd::bench {
namespace {
namespace json = boost::json;

struct Options {
  int procs = 500;
  int rss_procs = 1000;
  long long capture_bytes = 1LL << 30;
  bool supervisord = true;
};

std::string fake() { return FAKE_CHILD_BIN; }

json::value call(const std::string& socket, const std::string& method,
                 json::value params = nullptr) {
  auto client = LineClient::connect(UnixAddress{socket});
  if (!client) return nullptr;
  json::object request{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}};
  if (!params.is_null()) request["params"] = params;
  if (!client->send_line(json::serialize(request))) return nullptr;
  auto line = client->read_line(600000);
  return line ? json::parse(*line) : json::value(nullptr);
}

std::size_t running(const std::string& socket) {
  auto reply = call(socket, "programs.status");
  std::size_t n = 0;
  for (const auto& p : reply.at("result").at("processes").as_array())
    n += p.at("state").as_string() == "RUNNING";
  return n;
}

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Capture {
  double cpu_seconds = 0, wall_seconds = 0;
};

// Waits for `path` to reach `bytes` while measuring the CPU of `pid`.
Capture measure_capture(pid_t pid, const std::string& path, long long bytes, double cpu_before,
                        Clock::time_point start) {
  while (static_cast<long long>(file_size(path)) < bytes)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return Capture{cpu_seconds(pid) - cpu_before, seconds_since(start)};
}

struct SupervisordRun {
  pid_t pid = -1;
  std::string dir;
  ~SupervisordRun() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

// Starts supervisord in the foreground with one [program:x] section.
std::unique_ptr<SupervisordRun> start_supervisord(const std::string& dir,
                                                  const std::string& program) {
  auto run = std::make_unique<SupervisordRun>();
  run->dir = dir;
  std::ofstream(dir + "/supervisord.conf")
      << "[unix_http_server]\nfile=" << dir << "/sv.sock\n"
      << "[supervisord]\nnodaemon=true\nlogfile=" << dir << "/sv.log\npidfile=" << dir
      << "/sv.pid\nchildlogdir=" << dir << "\nminfds=20000\nloglevel=warn\n"
      << "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
         "supervisor.rpcinterface:make_main_rpcinterface\n"
      << "[supervisorctl]\nserverurl=unix://" << dir << "/sv.sock\n"
      << program;
  run->pid = ::fork();
  if (run->pid == 0) {
    int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    std::string conf = dir + "/supervisord.conf";
    ::execlp("supervisord", "supervisord", "-n", "-c", conf.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return run;
}

std::size_t supervisord_running(const std::string& dir) {
  std::string command =
      "supervisorctl -c " + dir + "/supervisord.conf status 2>/dev/null | grep -c RUNNING";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return 0;
  char line[64] = {};
  std::size_t n = std::fgets(line, sizeof line, pipe) ? std::strtoul(line, nullptr, 10) : 0;
  ::pclose(pipe);
  return n;
}

// The floor: a plain blocking read/write loop copying the same bytes from a pipe into a file,
// in this process. What the kernel charges for moving bytes into the page cache.
double floor_capture_cpu(const std::string& path, long long bytes) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  pid_t writer = ::fork();
  if (writer == 0) {
    ::close(fds[0]);
    std::vector<char> block(65536, 'x');
    for (long long left = bytes; left > 0;) left -= ::write(fds[1], block.data(), block.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  rusage before{}, after{};
  ::getrusage(RUSAGE_SELF, &before);
  static char buffer[65536];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0)
    (void)!::write(out, buffer, static_cast<std::size_t>(n));
  ::getrusage(RUSAGE_SELF, &after);
  ::close(out);
  ::close(fds[0]);
  ::waitpid(writer, nullptr, 0);
  std::filesystem::remove(path);
  auto seconds = [](const rusage& r) {
    return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
  };
  return seconds(after) - seconds(before);
}

bool have_supervisord() { return std::system("command -v supervisord >/dev/null 2>&1") == 0; }

std::string spew_args(long long bytes) {
  return "\"" + fake() + "\", \"--spew\", \"" + std::to_string(bytes) + "\", \"--wait\"";
}

void run(const Options& o) {
  std::printf("supervise_bench: %d procs to RUNNING, %lld MiB capture, RSS with %d procs\n",
              o.procs, o.capture_bytes >> 20, o.rss_procs);

  // 1. N processes to RUNNING.
  {
    BenchDaemon daemon(
        TASKD_BIN,
        "[programs.w]\ncmd = [\"" + fake() +
            "\", \"--wait\"]\nnumprocs = " + std::to_string(o.procs) +
            "\nautostart = false\nstarttime = 0\nstdout = \"discard\"\nstderr = \"discard\"\n");
    auto start = Clock::now();
    auto reply =
        call(daemon.socket(), "programs.start", json::object{{"names", json::array{"w:*"}}});
    double took = seconds_since(start);
    std::printf("taskd: %d processes to RUNNING in %.3f s (%.0f processes/s), %zu running\n",
                o.procs, took, o.procs / took, running(daemon.socket()));
  }

  // 2. Idle RSS with no programs.
  long idle_rss;
  {
    BenchDaemon daemon(TASKD_BIN);
    call(daemon.socket(), "daemon.health");
    idle_rss = rss_kib(daemon.pid());
    std::printf("taskd: idle RSS with 0 programs: %ld KiB\n", idle_rss);
  }

  // 3. RSS with many supervised processes (output captured to per-process log files).
  long taskd_rss;
  {
    BenchDaemon daemon(TASKD_BIN, "[programs.w]\ncmd = [\"" + fake() +
                                      "\", \"--out\", \"hello\", \"--wait\"]\nnumprocs = " +
                                      std::to_string(o.rss_procs) + "\nstarttime = 0\n");
    auto start = Clock::now();
    while (running(daemon.socket()) < static_cast<std::size_t>(o.rss_procs))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    taskd_rss = rss_kib(daemon.pid());
    std::printf("taskd: RSS with %d processes: %ld KiB (all RUNNING after %.2f s)\n", o.rss_procs,
                taskd_rss, seconds_since(start));
  }

  // 4. Capture of one child's output, after the floor for the same bytes.
  std::printf("floor: a blocking read/write loop in C moving the same bytes: CPU %.2f s\n",
              floor_capture_cpu("/tmp/taskd-bench-floor.out", o.capture_bytes));
  Capture taskd_capture;
  {
    BenchDaemon daemon(
        TASKD_BIN,
        "[programs.spew]\ncmd = [" + spew_args(o.capture_bytes) +
            "]\nautostart = false\nstarttime = 0\nstdout_maxbytes = 0\nstdout = \"spew.out\"\n");
    std::string path = daemon.dir() + "/spew.out";
    double cpu_before = cpu_seconds(daemon.pid());
    auto start = Clock::now();
    call(daemon.socket(), "programs.start",
         json::object{{"names", json::array{"spew"}}, {"wait", false}});
    taskd_capture = measure_capture(daemon.pid(), path, o.capture_bytes, cpu_before, start);
    std::printf(
        "taskd: captured %lld MiB in %.2f s wall (%.0f MB/s), daemon CPU %.2f s (%.2f s per GiB)\n",
        o.capture_bytes >> 20, taskd_capture.wall_seconds,
        static_cast<double>(o.capture_bytes) / 1e6 / taskd_capture.wall_seconds,
        taskd_capture.cpu_seconds,
        taskd_capture.cpu_seconds / (static_cast<double>(o.capture_bytes) / (1 << 30)));
    std::filesystem::remove(path);
  }

  if (!o.supervisord) return;
  if (!have_supervisord()) {
    std::printf("supervisord: not installed (apt-get install supervisor) — no comparison\n");
    return;
  }
  std::string base = "/tmp/taskd-bench-sv-XXXXXX";
  if (!::mkdtemp(base.data())) return;
  {
    auto sv = start_supervisord(
        base, "[program:w]\ncommand=" + fake() +
                  " --out hello --wait\nnumprocs=" + std::to_string(o.rss_procs) +
                  "\nprocess_name=%(program_name)s_%(process_num)04d\nstartsecs=0\n");
    auto start = Clock::now();
    while (supervisord_running(base) < static_cast<std::size_t>(o.rss_procs) &&
           seconds_since(start) < 300) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    long sv_rss = rss_kib(sv->pid);
    std::printf("supervisord: RSS with %d processes: %ld KiB (all RUNNING after %.2f s)\n",
                o.rss_procs, sv_rss, seconds_since(start));
    std::printf("ratio RSS taskd/supervisord with %d processes: %.3f (target <= 0.25) [%s]\n",
                o.rss_procs, static_cast<double>(taskd_rss) / static_cast<double>(sv_rss),
                taskd_rss * 4 <= sv_rss ? "met" : "MISSED");
  }
  {
    std::string path = base + "/spew.out";
    auto sv = start_supervisord(
        base, "[program:spew]\ncommand=" + fake() + " --spew " + std::to_string(o.capture_bytes) +
                  " --wait\nstartsecs=0\nstdout_logfile=" + path + "\nstdout_logfile_maxbytes=0\n");
    std::this_thread::sleep_for(
        std::chrono::milliseconds(300));  // let it boot before the clock starts
    double cpu_before = cpu_seconds(sv->pid);
    auto start = Clock::now();
    Capture sv_capture = measure_capture(sv->pid, path, o.capture_bytes, cpu_before, start);
    std::printf("supervisord: captured %lld MiB in %.2f s wall (%.0f MB/s), daemon CPU %.2f s\n",
                o.capture_bytes >> 20, sv_capture.wall_seconds,
                static_cast<double>(o.capture_bytes) / 1e6 / sv_capture.wall_seconds,
                sv_capture.cpu_seconds);
    std::printf("ratio capture CPU taskd/supervisord: %.3f (target <= 0.10) [%s]\n",
                taskd_capture.cpu_seconds / sv_capture.cpu_seconds,
                taskd_capture.cpu_seconds * 10 <= sv_capture.cpu_seconds ? "met" : "MISSED");
  }
  std::error_code ec;
  std::filesystem::remove_all(base, ec);
}

}  // namespace
}  // namespace taskd::bench

int main(int argc, char** argv) {
  taskd::bench::Options options;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto next = [&] { return i + 1 < argc ? std::atoll(argv[++i]) : 0; };
    if (flag == "--procs") options.procs = static_cast<int>(next());
    if (flag == "--rss-procs") options.rss_procs = static_cast<int>(next());
    if (flag == "--capture-mib") options.capture_bytes = next() << 20;
    if (flag == "--no-supervisord") options.supervisord = false;
  }
  taskd::bench::run(options);
  return 0;
}
