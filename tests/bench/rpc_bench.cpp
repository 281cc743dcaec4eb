// rpc_bench: latency and throughput of daemon.health over the UNIX socket, against the floor of
// a minimal epoll echo server on a UNIX socket measured in the same run.
//   rpc_bench [--requests M] [--taskd PATH]
#include "common/client_socket.h"
#include "tests/bench/bench_util.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>

namespace taskd::bench {
namespace {

const std::string kRequest = R"({"jsonrpc":"2.0","id":1,"method":"daemon.health"})";

// The floor: one thread, epoll, echo every byte back. No parsing, no JSON.
[[noreturn]] void run_echo_server(const std::string& path, int ready_fd) {
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strcpy(address.sun_path, path.c_str());
  ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::listen(listener, 512);
  int epoll = ::epoll_create1(0);
  epoll_event event{EPOLLIN, {.fd = listener}};
  ::epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
  (void)!::write(ready_fd, "\n", 1);
  char buffer[65536];
  epoll_event events[64];
  for (;;) {
    int n = ::epoll_wait(epoll, events, 64, -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == listener) {
        int client;
        while ((client = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
          epoll_event e{EPOLLIN, {.fd = client}};
          ::epoll_ctl(epoll, EPOLL_CTL_ADD, client, &e);
        }
        continue;
      }
      ssize_t got = ::read(fd, buffer, sizeof buffer);
      if (got <= 0) {
        ::close(fd);
        continue;
      }
      (void)!::write(fd, buffer, static_cast<size_t>(got));
    }
  }
}

struct LoadResult {
  Percentiles latency;
  double requests_per_second = 0;
  long errors = 0;
};

LoadResult run_load(const std::string& socket, int clients, int requests_each) {
  std::vector<std::vector<std::int64_t>> samples(static_cast<std::size_t>(clients));
  std::atomic<long> errors{0};
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto client = LineClient::connect(UnixAddress{socket});
      ++ready;
      while (!go) std::this_thread::yield();
      if (!client) {
        errors += requests_each;
        return;
      }
      auto& mine = samples[static_cast<std::size_t>(c)];
      mine.reserve(static_cast<std::size_t>(requests_each));
      for (int i = 0; i < requests_each; ++i) {
        auto start = Clock::now();
        if (!client->send_line(kRequest) || !client->read_line(10000)) {
          ++errors;
          break;
        }
        mine.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
      }
    });
  }
  while (ready < clients) std::this_thread::yield();
  auto start = Clock::now();
  go = true;
  for (auto& thread : threads) thread.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<std::int64_t> all;
  for (auto& s : samples) all.insert(all.end(), s.begin(), s.end());
  LoadResult result;
  result.requests_per_second = static_cast<double>(all.size()) / seconds;
  result.latency = percentiles(std::move(all));
  result.errors = errors;
  return result;
}

void print(const char* target, int clients, const LoadResult& r) {
  std::printf("%-6s C=%-3d p50 %7.1f us  p99 %7.1f us  p999 %7.1f us  %9.0f req/s%s\n", target,
              clients, r.latency.p50_us, r.latency.p99_us, r.latency.p999_us, r.requests_per_second,
              r.errors ? "  (ERRORS)" : "");
}

}  // namespace
}  // namespace taskd::bench

int main(int argc, char** argv) {
  using namespace taskd::bench;
  std::string taskd = TASKD_BIN;
  int requests = 20000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--requests") requests = std::atoi(argv[i + 1]);
    if (flag == "--taskd") taskd = argv[i + 1];
  }
  std::printf("rpc_bench: daemon.health, %d sequential requests per client\n", requests);
  BenchDaemon daemon(taskd);
  // Warm up (page faults, allocator) before measuring.
  run_load(daemon.socket(), 1, std::min(requests, 2000));
  LoadResult taskd1 = run_load(daemon.socket(), 1, requests);
  LoadResult taskd16 = run_load(daemon.socket(), 16, requests / 4);
  long rss = rss_kib(daemon.pid());

  std::string echo_path = daemon.dir() + "/echo.sock";
  int ready[2];
  if (::pipe(ready) != 0) return 1;
  pid_t echo = ::fork();
  if (echo == 0) run_echo_server(echo_path, ready[1]);
  char byte;
  if (::read(ready[0], &byte, 1) != 1) return 1;
  run_load(echo_path, 1, std::min(requests, 2000));
  LoadResult echo1 = run_load(echo_path, 1, requests);
  LoadResult echo16 = run_load(echo_path, 16, requests / 4);
  ::kill(echo, SIGKILL);
  ::waitpid(echo, nullptr, 0);

  print("taskd", 1, taskd1);
  print("taskd", 16, taskd16);
  print("echo", 1, echo1);
  print("echo", 16, echo16);
  std::printf("ratio taskd/echo: C=1 p50 %.2fx, p99 %.2fx; C=16 throughput %.2fx slower\n",
              taskd1.latency.p50_us / echo1.latency.p50_us,
              taskd1.latency.p99_us / echo1.latency.p99_us,
              echo16.requests_per_second / taskd16.requests_per_second);
  std::printf("targets: C=1 p99 < 100 us [%s], C=16 >= 50000 req/s [%s], within 3x of echo [%s]\n",
              taskd1.latency.p99_us < 100 ? "met" : "MISSED",
              taskd16.requests_per_second >= 50000 ? "met" : "MISSED",
              echo16.requests_per_second / taskd16.requests_per_second <= 3 ? "met" : "MISSED");
  std::printf("taskd RSS after the run: %ld KiB\n", rss);
  return taskd1.errors || taskd16.errors ? 1 : 0;
}
