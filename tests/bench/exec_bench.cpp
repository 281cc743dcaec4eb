// exec_bench: exec.run latency against the posix_spawn floor, concurrent exec throughput, and an
// RL fan-out — many taskd instances driven by one client doing setup → exec → poll episodes.
//   exec_bench [--runs N] [--clients C] [--instances I] [--episodes E]
#include "common/client_socket.h"
#include "tests/bench/bench_util.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <thread>

extern char** environ;

namespace taskd::bench {
namespace {
namespace json = boost::json;

struct Options {
  int runs = 2000;
  int clients = 64;
  int per_client = 100;
  int instances = 64;
  int episodes = 20;
};

// One request on an open connection; the reply's "result" (null on error).
json::value call(LineClient& client, const std::string& method, json::value params) {
  json::object request{
      {"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", std::move(params)}};
  if (!client.send_line(json::serialize(request))) return nullptr;
  for (;;) {
    auto line = client.read_line(60000);
    if (!line) return nullptr;
    json::value reply = json::parse(*line);
    if (!reply.as_object().contains("id")) continue;
    const auto* result = reply.as_object().if_contains("result");
    return result ? *result : json::value(nullptr);
  }
}

Percentiles spawn_floor(int runs) {
  std::vector<std::int64_t> samples;
  char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    pid_t pid;
    if (::posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) != 0) continue;
    int status;
    ::waitpid(pid, &status, 0);
    samples.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
  }
  return percentiles(std::move(samples));
}

Percentiles exec_latency(const std::string& socket, int runs) {
  auto client = LineClient::connect(UnixAddress{socket});
  std::vector<std::int64_t> samples;
  json::value params = {{"cmd", {"/bin/true"}}};
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    json::value result = call(*client, "exec.run", params);
    if (result.is_null()) continue;
    samples.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
  }
  return percentiles(std::move(samples));
}

double concurrent_execs(const std::string& socket, int clients, int per_client) {
  std::atomic<long> done{0};
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      auto client = LineClient::connect(UnixAddress{socket});
      if (!client) return;
      for (int i = 0; i < per_client; ++i) {
        if (!call(*client, "exec.run", {{"cmd", {"/bin/true"}}}).is_null()) ++done;
      }
    });
  }
  for (auto& t : threads) t.join();
  return static_cast<double>(done) / std::chrono::duration<double>(Clock::now() - start).count();
}

void fan_out(const Options& o) {
  std::vector<std::unique_ptr<BenchDaemon>> daemons;
  for (int i = 0; i < o.instances; ++i) daemons.push_back(std::make_unique<BenchDaemon>(TASKD_BIN));
  std::vector<std::vector<std::int64_t>> samples(static_cast<std::size_t>(o.instances));
  std::atomic<long> failures{0};
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int i = 0; i < o.instances; ++i) {
    threads.emplace_back([&, i] {
      auto client =
          LineClient::connect(UnixAddress{daemons[static_cast<std::size_t>(i)]->socket()});
      std::string dir = daemons[static_cast<std::size_t>(i)]->dir();
      for (int e = 0; e < o.episodes; ++e) {
        auto t0 = Clock::now();
        std::string id = "ep" + std::to_string(e);
        std::string conf = dir + "/" + id + ".conf";
        json::value spec = {
            {"setup", {{{"kind", "write"}, {"path", conf}, {"content", "port=oops\n"}}}},
            {"check", {{"cmd", {"grep", "-q", "port=80", conf}}}}};
        auto created = call(*client, "tasks.create", {{"id", id}, {"spec", spec}});
        auto acted = call(*client, "exec.run", {{"cmd", {"sh", "-c", "echo port=80 > " + conf}}});
        auto polled = call(*client, "tasks.poll", {{"id", id}});
        call(*client, "tasks.delete", {{"id", id}});
        bool ok = !created.is_null() && !acted.is_null() && !polled.is_null() &&
                  polled.at("status").as_string() == "DONE";
        if (!ok) ++failures;
        samples[static_cast<std::size_t>(i)].push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<std::int64_t> all;
  for (auto& s : samples) all.insert(all.end(), s.begin(), s.end());
  auto p = percentiles(all);
  std::printf(
      "fan-out: %d taskd instances x %d episodes (create+setup, exec, poll=DONE, delete): %.0f "
      "episodes/s, "
      "p50 %.1f ms, p99 %.1f ms, %ld failures\n",
      o.instances, o.episodes, static_cast<double>(all.size()) / seconds, p.p50_us / 1000,
      p.p99_us / 1000, failures.load());
}

}  // namespace
}  // namespace taskd::bench

int main(int argc, char** argv) {
  using namespace taskd::bench;
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int value = std::atoi(argv[i + 1]);
    if (flag == "--runs") o.runs = value;
    if (flag == "--clients") o.clients = value;
    if (flag == "--per-client") o.per_client = value;
    if (flag == "--instances") o.instances = value;
    if (flag == "--episodes") o.episodes = value;
  }
  std::printf("exec_bench: %d sequential runs of /bin/true\n", o.runs);
  {
    BenchDaemon daemon(TASKD_BIN);
    exec_latency(daemon.socket(), std::min(o.runs, 200));  // warm up
    auto floor = spawn_floor(o.runs);
    auto taskd = exec_latency(daemon.socket(), o.runs);
    std::printf("floor: posix_spawn+waitpid /bin/true   p50 %7.1f us  p99 %7.1f us\n", floor.p50_us,
                floor.p99_us);
    std::printf("taskd: exec.run /bin/true over UNIX     p50 %7.1f us  p99 %7.1f us\n",
                taskd.p50_us, taskd.p99_us);
    std::printf("ratio p50 taskd/floor: %.2f (target <= 2.0) [%s]\n", taskd.p50_us / floor.p50_us,
                taskd.p50_us <= 2 * floor.p50_us ? "met" : "MISSED");
    double rate = concurrent_execs(daemon.socket(), o.clients, o.per_client);
    std::printf("taskd: %d concurrent clients x %d execs of /bin/true: %.0f execs/s\n", o.clients,
                o.per_client, rate);
  }
  fan_out(o);
  return 0;
}
