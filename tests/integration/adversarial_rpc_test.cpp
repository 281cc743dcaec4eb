// A hostile or broken client against the real daemon (issue 10, findings 7, 9, 11, 13, 20, 23):
// pipelining without reading, oversized batches, refused connections, disconnecting mid-batch,
// overflowing durations, unbounded request keys, incomplete lines, and the fd limit. Memory is
// measured as the daemon's VmRSS; the daemon must keep answering others throughout.
#include "common/unique_fd.h"
#include "tests/support/daemon_harness.h"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

namespace taskd::test {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::int64_t kMiB = 1024 * 1024;

std::int64_t rss_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      std::int64_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(4096, '\n');
  }
  return 0;
}

// An ASan build parks freed memory in a quarantine that counts as RSS; keep it small here so
// the bound measures what taskd holds, not what ASan holds back.
std::map<std::string, std::string> small_asan_quarantine() {
  const char* options = std::getenv("ASAN_OPTIONS");
  std::string value = options ? std::string(options) + ":" : "";
  return {{"ASAN_OPTIONS", value + "quarantine_size_mb=16"}};
}

std::string request(int id, const std::string& method, const json::object& params) {
  return json::serialize(
      json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
}

std::string data_code(const json::value& reply) {
  return std::string(reply.at("error").at("data").at("code").as_string());
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

bool healthy(const Daemon& daemon) {
  RpcTestClient probe(daemon.socket_path());
  auto reply = probe.call("daemon.health", nullptr, 30000);
  return reply.is_object() && reply.as_object().contains("result");
}

// Runs `attack` while sampling the daemon's RSS until `window` has passed (or the growth passes
// `bound`, so old code cannot eat the machine), checking a bystander is answered; returns the
// largest growth seen.
std::int64_t peak_growth(const Daemon& daemon, std::int64_t bound, std::chrono::milliseconds window,
                         const std::function<void()>& attack) {
  std::int64_t base = rss_bytes(daemon.pid());
  attack();
  std::int64_t peak = 0;
  auto end = std::chrono::steady_clock::now() + window;
  auto sample = [&] { peak = std::max(peak, rss_bytes(daemon.pid()) - base); };
  while (std::chrono::steady_clock::now() < end && peak <= bound) {
    sample();
    EXPECT_TRUE(healthy(daemon));
    sample();  // the health check may have waited for the attack to be processed
    std::this_thread::sleep_for(50ms);
  }
  std::printf("peak RSS growth of taskd: %lld MiB\n", static_cast<long long>(peak / kMiB));
  return peak;
}

// Finding 7: pipelined programs.tail calls from a client that never reads.
class BigLog : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon.start()) << daemon.startup_error();
    RpcTestClient client(daemon.socket_path());
    ASSERT_TRUE(wait_until([&] {
      auto r = client.call("programs.tail", {{"name", "big"}, {"length", 16}});
      return r.as_object().contains("result") && r.at("result").at("size").as_int64() >= 2000000;
    }));
  }
  std::string tail(int id) const {
    return request(id, "programs.tail", {{"name", "big"}, {"length", 1048576}});
  }
  Daemon daemon{{.config = "[programs.big]\ncmd = [\"" + fake_child_binary() +
                           "\", \"--spew\", \"2000000\", \"--wait\"]\n",
                 .env = small_asan_quarantine()}};
};

TEST_F(BigLog, PipelinedTailsFromAClientThatNeverReadsStayWithinItsQueue) {
  RpcTestClient attacker(daemon.socket_path());
  std::int64_t growth = peak_growth(daemon, 200 * kMiB, 2s, [&] {
    std::string lines;
    for (int i = 1; i <= 120; ++i) lines += tail(i) + "\n";
    ASSERT_TRUE(attacker.send_line(lines.substr(0, lines.size() - 1)));
  });
  // 8 MiB of queue (and its copies while serialising), not 120 MiB of replies.
  EXPECT_LT(growth, 64 * kMiB);
}

TEST_F(BigLog, ABatchStopsRunningOnceItsRepliesFillHalfTheQueue) {
  RpcTestClient client(daemon.socket_path());
  json::array batch;
  for (int i = 1; i <= 120; ++i) batch.push_back(parse_json(tail(i)));
  std::int64_t growth = peak_growth(daemon, 200 * kMiB, 1s,
                                    [&] { ASSERT_TRUE(client.send_line(json::serialize(batch))); });
  EXPECT_LT(growth, 64 * kMiB);
  auto line = client.read_line(30000);
  ASSERT_TRUE(line);
  auto replies = parse_json(*line).as_array();
  ASSERT_EQ(replies.size(), 120u);
  EXPECT_TRUE(replies.front().as_object().contains("result"));
  EXPECT_EQ(data_code(replies.back()), "LIMIT_EXCEEDED");
  auto answered = std::count_if(replies.begin(), replies.end(),
                                [](const auto& r) { return r.as_object().contains("result"); });
  EXPECT_LE(answered, 8);
}

TEST(AdversarialRpc, BatchOverTheMemberLimitIsRefusedWhole) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  auto batch_of = [](int n) {
    json::array batch;
    for (int i = 1; i <= n; ++i) batch.push_back(parse_json(request(i, "daemon.version", {})));
    return json::serialize(batch);
  };
  ASSERT_TRUE(client.send_line(batch_of(257)));
  auto refused = parse_json(*client.read_line());
  EXPECT_TRUE(refused.at("id").is_null());
  EXPECT_EQ(data_code(refused), "LIMIT_EXCEEDED");
  ASSERT_TRUE(client.send_line(batch_of(256)));
  EXPECT_EQ(parse_json(*client.read_line()).as_array().size(), 256u);
}

// Finding 23: pipelined exec.run with 4 MB of output each, never read, on several connections.
TEST(AdversarialRpc, ExecRepliesAreBoundedDaemonWideAndOthersAreStillAnswered) {
  Daemon daemon(
      {.config = "[daemon]\nmax_total_queue_bytes = 33554432\n", .env = small_asan_quarantine()});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  std::vector<std::unique_ptr<RpcTestClient>> attackers;
  std::int64_t growth = peak_growth(daemon, 400 * kMiB, 8s, [&] {
    for (int c = 0; c < 6; ++c) {
      attackers.push_back(std::make_unique<RpcTestClient>(daemon.socket_path()));
      std::string lines;
      for (int i = 1; i <= 20; ++i) {
        if (i > 1) lines += "\n";
        lines += request(
            i, "exec.run",
            {{"cmd", {fake_child_binary(), "--spew", "4000000"}}, {"max_output_bytes", 4194304}});
      }
      ASSERT_TRUE(attackers.back()->send_line(lines));
    }
  });
  // 32 MiB daemon-wide plus 64 KiB and one reply per connection (about 30 MiB measured), not
  // 6 x 20 x 4 MB (before: over 120 MiB within the window, and no reply for 30 s).
  EXPECT_LT(growth, 96 * kMiB);
  // A reader gets its replies: whole results, or LIMIT_EXCEEDED for what found no room.
  auto first = attackers.front()->read_line(30000);
  ASSERT_TRUE(first);
  auto reply = parse_json(*first);
  EXPECT_TRUE(reply.as_object().contains("result") || data_code(reply) == "LIMIT_EXCEEDED");
}

// Finding 9: a connection over max_connections never dispatches, and the warning is throttled.
TEST(AdversarialRpc, ConnectionOverTheLimitIsRefusedWithoutRunningItsRequest) {
  Daemon daemon({.config = "[daemon]\nmax_connections = 2\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient first(daemon.socket_path());
  RpcTestClient second(daemon.socket_path());
  ASSERT_TRUE(first.call("daemon.health").as_object().contains("result"));
  ASSERT_TRUE(second.call("daemon.health").as_object().contains("result"));
  std::string marker = daemon.dir() + "/ran";
  for (int i = 0; i < 20; ++i) {
    RpcTestClient refused(daemon.socket_path());
    // The send may already fail (EPIPE): taskd refuses without waiting for the request.
    (void)refused.send_line(request(1, "exec.run", {{"cmd", {"touch", marker}}}));
    auto line = refused.read_line(10000);
    ASSERT_TRUE(line) << i;
    EXPECT_EQ(data_code(parse_json(*line)), "LIMIT_EXCEEDED");
    EXPECT_TRUE(refused.closed_by_peer());
  }
  // Had a refused request run, its touch would have been spawned before this exec.
  auto after = first.call("exec.run", {{"cmd", {"true"}}});
  ASSERT_TRUE(after.as_object().contains("result"));
  EXPECT_FALSE(wait_until([&] { return path_exists(marker); }, 500ms));
  EXPECT_LE(count_of(daemon.log(), "refusing connection: limit reached"), 2u) << daemon.log();
}

// Finding 9: the rest of a batch is not run once its client has gone; nothing outlives it.
TEST(AdversarialRpc, ClientGoneMidBatchRunsNoMoreOfIt) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  std::string pid_file = daemon.dir() + "/survivor.pid";
  {
    RpcTestClient client(daemon.socket_path());
    json::array batch{
        parse_json(request(1, "exec.run", {{"cmd", {fake_child_binary(), "--sleep", "3000"}}})),
        parse_json(request(2, "exec.run",
                           {{"cmd", {"sh", "-c", "echo $$ > " + pid_file + "; exec sleep 300"}}}))};
    ASSERT_TRUE(client.send_line(json::serialize(batch)));
    std::this_thread::sleep_for(100ms);  // let the first member start
  }
  EXPECT_TRUE(wait_until(
      [&] { return daemon.log().find("1 request(s) of its batch not run") != std::string::npos; }));
  EXPECT_FALSE(path_exists(pid_file));
  if (path_exists(pid_file)) ::kill(std::atoi(read_file(pid_file).c_str()), SIGKILL);
}

// Finding 11: durations are bounded (30 days) instead of overflowing into an instant timeout.
TEST(AdversarialRpc, DurationsOverThirtyDaysAreRefusedNotOverflowed) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  auto huge = client.call(
      "exec.run", {{"cmd", {fake_child_binary(), "--sleep", "300"}}, {"timeout_ms", INT64_MAX}});
  ASSERT_TRUE(huge.as_object().contains("error")) << json::serialize(huge);
  EXPECT_EQ(huge.at("error").at("data").at("field").as_string(), "timeout_ms");
  auto grace = client.call("exec.run", {{"cmd", {"true"}}, {"kill_grace_ms", INT64_MAX}});
  EXPECT_EQ(grace.at("error").at("data").at("field").as_string(), "kill_grace_ms");
  auto longest = client.call(
      "exec.run", {{"cmd", {fake_child_binary(), "--sleep", "300"}}, {"timeout_ms", 2592000000LL}});
  ASSERT_TRUE(longest.as_object().contains("result")) << json::serialize(longest);
  EXPECT_EQ(longest.at("result").at("reason").as_string(), "exited");
  auto wait = client.call("programs.start", {{"names", {"x"}}, {"timeout_ms", INT64_MAX}});
  EXPECT_EQ(wait.at("error").at("data").at("field").as_string(), "timeout_ms");
  auto task = client.call("tasks.delete", {{"id", "x"}, {"grace_ms", INT64_MAX}});
  EXPECT_EQ(task.at("error").at("data").at("field").as_string(), "grace_ms");
}

// Finding 11: max_request_keys holds while the oldest keyed exec still runs.
TEST(AdversarialRpc, RequestKeysStayBoundedWhileTheOldestRuns) {
  Daemon daemon({.config = "[exec]\nmax_request_keys = 3\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient runner(daemon.socket_path());
  auto start_long = [&](int id, const std::string& key) {
    std::string marker = daemon.dir() + "/" + key;
    ASSERT_TRUE(runner.send_line(request(
        id, "exec.run",
        {{"cmd", {"sh", "-c", "touch " + marker + "; exec sleep 300"}}, {"request_key", key}})));
    ASSERT_TRUE(wait_until([&] { return path_exists(marker); }));
  };
  start_long(1, "long1");
  RpcTestClient client(daemon.socket_path());
  auto keyed = [&](const std::string& key) {
    return client.call("exec.run", {{"cmd", {"true"}}, {"request_key", key}});
  };
  for (int i = 1; i <= 5; ++i)
    ASSERT_TRUE(keyed("k" + std::to_string(i)).as_object().contains("result"));
  // k1 was forgotten to keep 3 keys, although long1 (older) still runs: it runs again.
  auto again = keyed("k1");
  ASSERT_TRUE(again.as_object().contains("result")) << json::serialize(again);
  EXPECT_FALSE(again.at("result").as_object().contains("reused"));
  start_long(2, "long2");
  start_long(3, "long3");
  auto refused = keyed("k6");  // three keyed execs run: nothing can be forgotten
  ASSERT_TRUE(refused.as_object().contains("error")) << json::serialize(refused);
  EXPECT_EQ(data_code(refused), "LIMIT_EXCEEDED");
  EXPECT_TRUE(client.call("exec.run", {{"cmd", {"true"}}}).as_object().contains("result"));
}

// Finding 13: an incomplete line is closed after idle_timeout; a quiet or subscribed connection
// is not.
TEST(AdversarialRpc, IncompleteLineIsClosedAfterTheIdleTimeout) {
  Daemon daemon({.config = "[daemon]\nidle_timeout = 0.5\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient quiet(daemon.socket_path());
  ASSERT_TRUE(quiet.call("daemon.health").as_object().contains("result"));
  RpcTestClient subscriber(daemon.socket_path());
  ASSERT_TRUE(subscriber.call("events.subscribe").as_object().contains("result"));
  UniqueFd raw(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strcpy(address.sun_path, daemon.socket_path().c_str());
  ASSERT_EQ(::connect(raw.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::write(raw.get(), "{\"jsonrpc\":", 11), 11);
  EXPECT_TRUE(wait_until([&] {
    return daemon.log().find("waited too long for an incomplete line") != std::string::npos;
  }));
  char byte;
  EXPECT_EQ(::read(raw.get(), &byte, 1), 0);  // EOF: closed by taskd
  EXPECT_TRUE(quiet.call("daemon.health").as_object().contains("result"));
  EXPECT_TRUE(subscriber.call("daemon.health").as_object().contains("result"));
}

// Finding 20: at the fd limit a new connection gets an error line and is closed, the warning is
// throttled, and taskd serves again once fds are free.
TEST(AdversarialRpc, AtTheFdLimitNewConnectionsAreRefusedAndServiceRecovers) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to lower another process's RLIMIT_NOFILE";
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  std::size_t open_fds = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(daemon.pid()) + "/fd")) {
    ++open_fds;
  }
  rlimit old_limit{};
  rlimit low{open_fds + 4, open_fds + 4};
  ASSERT_EQ(::prlimit(daemon.pid(), RLIMIT_NOFILE, nullptr, &old_limit), 0);
  low.rlim_max = old_limit.rlim_max;
  ASSERT_EQ(::prlimit(daemon.pid(), RLIMIT_NOFILE, &low, nullptr), 0);
  std::vector<std::unique_ptr<RpcTestClient>> held;
  std::optional<json::value> refusal;
  for (int i = 0; i < 12 && !refusal; ++i) {
    auto client = std::make_unique<RpcTestClient>(daemon.socket_path());
    ASSERT_TRUE(client->send_line(request(1, "daemon.health", {})));
    auto line = client->read_line(10000);
    ASSERT_TRUE(line) << "connection " << i << " was never answered";
    auto reply = parse_json(*line);
    if (reply.as_object().contains("error")) {
      refusal = reply;
      EXPECT_TRUE(client->closed_by_peer());
    }
    held.push_back(std::move(client));
  }
  ASSERT_TRUE(refusal);
  EXPECT_EQ(data_code(*refusal), "LIMIT_EXCEEDED");
  for (int i = 0; i < 20; ++i) {
    RpcTestClient more(daemon.socket_path());
    ASSERT_TRUE(more.send_line(request(1, "daemon.health", {})));
    auto line = more.read_line(10000);
    ASSERT_TRUE(line);
    EXPECT_EQ(data_code(parse_json(*line)), "LIMIT_EXCEEDED");
  }
  EXPECT_LE(count_of(daemon.log(), "out of file descriptors"), 2u) << daemon.log();
  held.clear();
  EXPECT_TRUE(wait_until([&] { return healthy(daemon); }));
  ASSERT_EQ(::prlimit(daemon.pid(), RLIMIT_NOFILE, &old_limit, nullptr), 0);
}

}  // namespace
}  // namespace taskd::test
