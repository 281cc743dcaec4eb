// The real taskd binary over its real UNIX socket: round trips, bad input, many connections,
// shutdown, and the rules for who owns the socket path.
#include "tests/support/daemon_harness.h"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <atomic>
#include <csignal>
#include <thread>

namespace taskd::test {
namespace {
namespace json = boost::json;

std::int64_t error_code_of(const json::value& reply) {
  return reply.at("error").at("code").as_int64();
}

TEST(Daemon, VersionAndHealthRoundTrip) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  auto version = client.call("daemon.version");
  EXPECT_EQ(version.at("result").at("protocol").as_string(), "1.2");
  EXPECT_EQ(version.at("result").at("version").as_string(), TASKD_VERSION);
  auto health = client.call("daemon.health");
  EXPECT_TRUE(health.at("result").at("ok").as_bool());
  EXPECT_EQ(health.at("result").at("pid").as_int64(), daemon.pid());
  EXPECT_GE(health.at("result").at("connections").as_int64(), 1);
  EXPECT_EQ(daemon.stop(), 0);
}

TEST(Daemon, SocketIsPrivate) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  struct stat st {};
  ASSERT_EQ(::stat(daemon.socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Daemon, SocketModeIsConfigurable) {
  Daemon daemon({.config = "[daemon]\nsocket_mode = \"0660\"\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  struct stat st {};
  ASSERT_EQ(::stat(daemon.socket_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST(Daemon, TaskctlVersionHealthAndJson) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  auto version = daemon.taskctl({"version"});
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_EQ(version.out, std::string(TASKD_VERSION) + "\n");
  auto health = daemon.taskctl({"health"});
  EXPECT_EQ(health.exit_code, 0);
  EXPECT_TRUE(health.out.starts_with("ok: pid " + std::to_string(daemon.pid()))) << health.out;
  auto json_health = daemon.taskctl({"--json", "health"});
  EXPECT_EQ(json_health.exit_code, 0);
  EXPECT_TRUE(parse_json(json_health.out).at("ok").as_bool());
}

TEST(Daemon, TaskctlUnreachableHasDocumentedExitCode) {
  TempDir dir;
  auto result = run_process({taskctl_binary(), "-s", dir.file("none.sock"), "health"});
  EXPECT_EQ(result.exit_code, 7);
  EXPECT_NE(result.err.find("is taskd running?"), std::string::npos) << result.err;
  auto bad = run_process({taskctl_binary(), "-s", "vsok:3:52", "health"});
  EXPECT_EQ(bad.exit_code, 7);
  EXPECT_NE(bad.err.find("unknown scheme"), std::string::npos) << bad.err;
  auto usage = run_process({taskctl_binary(), "-s", dir.file("none.sock"), "frobnicate"});
  EXPECT_EQ(usage.exit_code, 2);
}

TEST(Daemon, GarbageGetsAnErrorAndOtherConnectionsCarryOn) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient bystander(daemon.socket_path());
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(client.send_line("this is not json"));
  auto reply = parse_json(*client.read_line());
  EXPECT_EQ(error_code_of(reply), -32700);
  // A parse error does not end the connection.
  EXPECT_EQ(error_code_of(client.call("no.such.method")), -32601);
  EXPECT_EQ(error_code_of(client.call("daemon.health", {{"bogus", 1}})), -32602);
  EXPECT_TRUE(bystander.call("daemon.health").at("result").at("ok").as_bool());
}

TEST(Daemon, OversizeLineClosesOnlyThatConnection) {
  Daemon daemon({.config = "[daemon]\nmax_line_bytes = 4096\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient bystander(daemon.socket_path());
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(client.send_line(std::string(10000, 'x')));
  auto reply = parse_json(*client.read_line());
  EXPECT_EQ(error_code_of(reply), -32600);
  EXPECT_EQ(reply.at("error").at("data").at("code").as_string(), "LINE_TOO_LONG");
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_TRUE(bystander.call("daemon.health").at("result").at("ok").as_bool());
  RpcTestClient fresh(daemon.socket_path());
  EXPECT_TRUE(fresh.call("daemon.version").as_object().contains("result"));
}

TEST(Daemon, BatchesAndNotifications) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(client.send_line(
      R"([{"jsonrpc":"2.0","id":1,"method":"daemon.version"},{"jsonrpc":"2.0","method":"daemon.health"},{"jsonrpc":"2.0","id":2,"method":"nope"}])"));
  auto batch = parse_json(*client.read_line());
  ASSERT_TRUE(batch.is_array());
  ASSERT_EQ(batch.as_array().size(), 2u);  // the notification gets no reply
  EXPECT_EQ(batch.as_array()[0].at("id").as_int64(), 1);
  EXPECT_EQ(error_code_of(batch.as_array()[1]), -32601);
  // A batch of notifications produces nothing; the next reply is for the next request.
  ASSERT_TRUE(client.send_line(R"([{"jsonrpc":"2.0","method":"daemon.health"}])"));
  EXPECT_EQ(client.call("daemon.version").at("id").as_int64(), 1);
}

TEST(Daemon, TwoHundredConnectionsAtOnce) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  std::vector<std::unique_ptr<RpcTestClient>> clients;
  for (int i = 0; i < 200; ++i) {
    clients.push_back(std::make_unique<RpcTestClient>(daemon.socket_path()));
    ASSERT_TRUE(clients.back()->connected()) << i;
  }
  for (auto& client : clients) {
    ASSERT_TRUE(client->send_line(R"({"jsonrpc":"2.0","id":1,"method":"daemon.health"})"));
  }
  int answered = 0;
  for (auto& client : clients) {
    auto line = client->read_line(10000);
    if (line && parse_json(*line).at("result").at("ok").as_bool()) ++answered;
  }
  EXPECT_EQ(answered, 200);
  RpcTestClient probe(daemon.socket_path());
  EXPECT_GE(probe.call("daemon.health").at("result").at("connections").as_int64(), 201);
}

TEST(Daemon, SigtermRemovesTheSocket) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  ASSERT_TRUE(path_exists(daemon.socket_path()));
  EXPECT_EQ(daemon.stop(SIGTERM), 0);
  EXPECT_FALSE(path_exists(daemon.socket_path()));
  EXPECT_NE(daemon.log().find("shutting down reason=SIGTERM"), std::string::npos);
}

TEST(Daemon, SigintAndShutdownMethodAlsoExitCleanly) {
  Daemon by_signal;
  ASSERT_TRUE(by_signal.start()) << by_signal.startup_error();
  EXPECT_EQ(by_signal.stop(SIGINT), 0);
  EXPECT_FALSE(path_exists(by_signal.socket_path()));

  Daemon by_rpc;
  ASSERT_TRUE(by_rpc.start()) << by_rpc.startup_error();
  auto result = by_rpc.taskctl({"shutdown"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "Shut down\n");
  EXPECT_EQ(by_rpc.stop(0), 0);  // signal 0: just wait for the exit
  EXPECT_FALSE(path_exists(by_rpc.socket_path()));
}

// A SIGTERM that arrives while taskd is already exiting (after daemon.shutdown, say a service
// manager's stop racing the RPC) must not turn its clean exit into death by that signal.
TEST(Daemon, SigtermWhileExitingAfterShutdownStillExitsZero) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  ASSERT_TRUE(client.connected());
  std::atomic<bool> done{false};
  pid_t pid = daemon.pid();
  client.call("daemon.shutdown");
  std::thread terminator([&] {
    while (!done) {
      ::kill(pid, SIGTERM);
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
  int code = daemon.stop(0);  // signal 0: just wait for the exit
  done = true;
  terminator.join();
  EXPECT_EQ(code, 0);
}

TEST(Daemon, SecondDaemonOnTheSameSocketRefuses) {
  Daemon first;
  ASSERT_TRUE(first.start()) << first.startup_error();
  // Its own data dir: with the same one the data dir lock refuses first (adversarial_files_test).
  Daemon second({.config = "[daemon]\nsocket = \"" + first.socket_path() + "\"\n"});
  EXPECT_FALSE(second.start());
  EXPECT_NE(second.startup_error().find("exit 4"), std::string::npos) << second.startup_error();
  EXPECT_NE(second.startup_error().find("another taskd is already listening"), std::string::npos)
      << second.startup_error();
  RpcTestClient client(first.socket_path());
  EXPECT_TRUE(client.call("daemon.health").as_object().contains("result"));
}

TEST(Daemon, StaleSocketFileIsReplaced) {
  Daemon daemon;
  {
    // A socket file nobody listens on, as a crashed daemon leaves behind.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, daemon.socket_path().c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ::close(fd);
  }
  ASSERT_TRUE(path_exists(daemon.socket_path()));
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  EXPECT_TRUE(client.call("daemon.health").as_object().contains("result"));
}

TEST(Daemon, RegularFileAtSocketPathIsNotDeleted) {
  Daemon daemon;
  write_file(daemon.socket_path(), "precious");
  EXPECT_FALSE(daemon.start());
  EXPECT_NE(daemon.startup_error().find("exists and is not a socket"), std::string::npos);
  EXPECT_EQ(read_file(daemon.socket_path()), "precious");
}

TEST(Daemon, InvalidConfigExitsWithFileAndLine) {
  TempDir dir;
  write_file(dir.file("bad.toml"), "[daemon]\nsocket = \"x.sock\"\nbogus = 1\n");
  auto result = run_process({taskd_binary(), "-c", dir.file("bad.toml"), "--foreground"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find(dir.file("bad.toml") + ":3: daemon.bogus: unknown key"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(path_exists(dir.file("x.sock")));
  auto usage = run_process({taskd_binary(), "--frobnicate"});
  EXPECT_EQ(usage.exit_code, 2);
}

TEST(Daemon, SocketOverrideOnCommandLine) {
  TempDir other;
  std::string socket = other.file("override.sock");
  Daemon daemon({.extra_args = {"-s", "unix:" + socket}});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  EXPECT_TRUE(path_exists(socket));
  EXPECT_FALSE(path_exists(daemon.socket_path()));
  RpcTestClient client(socket);
  EXPECT_TRUE(client.call("daemon.health").as_object().contains("result"));
}

TEST(Daemon, BackgroundModeReturnsOnceListening) {
  Daemon daemon({.foreground = false});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  ASSERT_GT(daemon.pid(), 0);
  RpcTestClient client(daemon.socket_path());
  EXPECT_EQ(client.call("daemon.health").at("result").at("pid").as_int64(), daemon.pid());
  daemon.stop(SIGTERM);
  EXPECT_TRUE(wait_until([&] { return !path_exists(daemon.socket_path()); }));
}

TEST(Daemon, NotifiesSystemdWhenNotifySocketIsSet) {
  TempDir dir;
  std::string notify_path = dir.file("notify");
  int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strcpy(address.sun_path, notify_path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  Daemon daemon({.env = {{"NOTIFY_SOCKET", notify_path}}});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  char buffer[256] = {};
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ssize_t n = ::recv(fd, buffer, sizeof buffer - 1, 0);
  ::close(fd);
  ASSERT_GT(n, 0);
  EXPECT_TRUE(std::string(buffer).starts_with("READY=1")) << buffer;
}

TEST(Daemon, SubscribersGetEventsAndUnknownTopicsAreRejected) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  RpcTestClient client(daemon.socket_path());
  auto bad = client.call("events.subscribe", {{"topics", {"daemon", "weather"}}});
  EXPECT_EQ(error_code_of(bad), -32602);
  auto ok = client.call("events.subscribe", {{"topics", {"daemon"}}});
  EXPECT_EQ(json::serialize(ok.at("result")), R"({"topics":["daemon"]})");
  auto all = client.call("events.subscribe");
  EXPECT_EQ(all.at("result").at("topics").as_array().size(), 5u);
  auto fewer = client.call("events.unsubscribe", {{"topics", {"output"}}});
  EXPECT_EQ(fewer.at("result").at("topics").as_array().size(), 4u);
  RpcTestClient other(daemon.socket_path());
  other.call("daemon.shutdown");
  auto event = client.next_event();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->at("method").as_string(), "event");
  EXPECT_EQ(event->at("params").at("topic").as_string(), "daemon");
  EXPECT_EQ(event->at("params").at("type").as_string(), "shutdown");
  EXPECT_EQ(daemon.stop(0), 0);
}

}  // namespace
}  // namespace taskd::test
