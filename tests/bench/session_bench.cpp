// session_bench: task_switch_started → task_ready latency for warm switches between live agents
// and for cold resumes of stopped sessions (the reference echo agent, readiness by its ready
// line), against the seed's budgets of 1 s warm and 3 s cold.
//   session_bench [--switches N]
#include "common/client_socket.h"
#include "tests/bench/bench_util.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace taskd::bench {
namespace {
namespace json = boost::json;

class Session {
 public:
  explicit Session(const std::string& socket)
      : client_(*LineClient::connect(UnixAddress{socket})) {}

  json::value call(const std::string& method, json::value params) {
    json::object request{
        {"jsonrpc", "2.0"}, {"id", ++id_}, {"method", method}, {"params", std::move(params)}};
    client_.send_line(json::serialize(request));
    for (;;) {
      json::value message = json::parse(*client_.read_line(30000));
      if (message.as_object().contains("id")) return message;
    }
  }
  // Waits for an event of `type`; returns when it was received.
  Clock::time_point wait(const std::string& type) {
    for (;;) {
      auto line = client_.read_line(30000);
      if (!line) throw std::runtime_error("no " + type + " event");
      json::value message = json::parse(*line);
      const auto* params = message.as_object().if_contains("params");
      if (params && params->at("type").as_string() == type) return Clock::now();
      if (params && params->at("type").as_string() == "task_error") {
        throw std::runtime_error("task_error: " + json::serialize(*params));
      }
    }
  }
  // task_switch_started → task_ready, and switch request → task_ready, in nanoseconds.
  std::pair<std::int64_t, std::int64_t> switch_to(const std::string& id) {
    auto sent = Clock::now();
    json::object request{
        {"jsonrpc", "2.0"}, {"id", ++id_}, {"method", "session.switch"}, {"params", {{"id", id}}}};
    client_.send_line(json::serialize(request));
    auto started = wait("task_switch_started");
    auto ready = wait("task_ready");
    auto ns = [](auto d) {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
    };
    return {ns(ready - started), ns(ready - sent)};
  }

 private:
  LineClient client_;
  std::int64_t id_ = 0;
};

void report(const char* what, std::vector<std::int64_t> events,
            std::vector<std::int64_t> round_trips, double budget_ms, double target_ms) {
  auto e = percentiles(std::move(events));
  auto r = percentiles(std::move(round_trips));
  std::printf(
      "%-5s switch_started→ready  p50 %8.3f ms  p95 %8.3f ms  p99 %8.3f ms | request→ready p50 "
      "%7.3f ms p95 %7.3f ms\n",
      what, e.p50_us / 1000, e.p95_us / 1000, e.p99_us / 1000, r.p50_us / 1000, r.p95_us / 1000);
  std::printf("      p95 target %.0f ms [%s]; seed budget %.0f ms: %.0fx under\n", target_ms,
              e.p95_us / 1000 < target_ms ? "met" : "MISSED", budget_ms,
              budget_ms / (e.p95_us / 1000));
}

}  // namespace
}  // namespace taskd::bench

int main(int argc, char** argv) {
  using namespace taskd::bench;
  int switches = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--switches") switches = std::atoi(argv[i + 1]);
  }
  BenchDaemon daemon(TASKD_BIN, std::string("[sessions]\nagent = [\"") + ECHO_AGENT_BIN +
                                    "\"]\nready = \"line\"\nmax_warm = 8\n");
  Session session(daemon.socket());
  session.call("events.subscribe", {{"topics", {"session"}}});
  for (const char* id : {"a", "b", "c"}) session.call("session.open", {{"id", id}});
  std::printf(
      "session_bench: %d warm switches among 3 live agents, %d cold resumes of a stopped session\n",
      switches, switches);
  std::vector<std::int64_t> warm_events, warm_trips;
  const char* order[] = {"a", "b", "c"};
  for (int i = 0; i < switches; ++i) {
    auto [event, trip] = session.switch_to(order[i % 3]);
    warm_events.push_back(event);
    warm_trips.push_back(trip);
  }
  std::vector<std::int64_t> cold_events, cold_trips;
  for (int i = 0; i < switches; ++i) {
    session.call("session.stop", {{"id", "c"}});
    auto [event, trip] = session.switch_to("c");
    cold_events.push_back(event);
    cold_trips.push_back(trip);
  }
  report("warm", warm_events, warm_trips, 1000, 1);
  report("cold", cold_events, cold_trips, 3000, 20);
  return 0;
}
