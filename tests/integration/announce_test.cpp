// The ready announcement from the real taskd, received by a UNIX-socket stand-in for the host
// (on Firecracker the host listens on <uds_path>_PORT; the guest side dials vsock:2:PORT, which
// cannot be dialled from a test on this machine). The connecting, retrying and writing code is
// the same for both families.
#include "common/unique_fd.h"
#include "tests/support/daemon_harness.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <thread>

namespace taskd::test {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

class HostStandIn {
 public:
  explicit HostStandIn(const std::string& path) : fd_(::socket(AF_UNIX, SOCK_STREAM, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path.c_str());
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(fd_.get(), 4), 0);
  }

  // Everything the next connection sends until EOF, or nullopt when nobody connects in time.
  std::optional<std::string> receive(std::chrono::milliseconds timeout) {
    pollfd pfd{fd_.get(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    UniqueFd connection(::accept(fd_.get(), nullptr, nullptr));
    std::string data;
    char buffer[4096];
    pollfd in{connection.get(), POLLIN, 0};
    while (::poll(&in, 1, 5000) == 1) {
      ssize_t n = ::read(connection.get(), buffer, sizeof buffer);
      if (n <= 0) break;
      data.append(buffer, static_cast<std::size_t>(n));
    }
    return data;
  }

 private:
  UniqueFd fd_;
};

void expect_ready_event(const std::string& data) {
  ASSERT_FALSE(data.empty());
  EXPECT_EQ(data.back(), '\n');
  EXPECT_EQ(data.find('\n'), data.size() - 1) << "exactly one line: " << data;
  json::value event = parse_json(data.substr(0, data.size() - 1));
  EXPECT_EQ(event.at("method"), "event");
  const auto& params = event.at("params");
  EXPECT_EQ(params.at("topic"), "daemon");
  EXPECT_EQ(params.at("type"), "ready");
  std::string boot_id = read_file("/proc/sys/kernel/random/boot_id");
  EXPECT_EQ(params.at("boot_id").as_string(), boot_id.substr(0, boot_id.find('\n')));
  EXPECT_EQ(params.at("version"), TASKD_VERSION);
  EXPECT_EQ(params.at("vsock_port").to_number<int>(), 0);  // no vsock listener configured
}

TEST(Announce, ReadyEventReachesTheHost) {
  TempDir host_dir;
  std::string host_socket = host_dir.file("v.sock_1024");
  HostStandIn host(host_socket);
  Daemon daemon({.config = "[daemon]\nannounce = \"unix:" + host_socket + "\"\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  auto data = host.receive(5s);
  ASSERT_TRUE(data) << "no announcement\n" << daemon.log();
  expect_ready_event(*data);
  EXPECT_TRUE(
      wait_until([&] { return daemon.log().find("announced ready") != std::string::npos; }));
  EXPECT_NE(daemon.log().find("announced ready target=unix:" + host_socket + " attempt=1"),
            std::string::npos)
      << daemon.log();
  EXPECT_EQ(daemon.stop(), 0);
}

TEST(Announce, RetriesUntilTheHostListensWithoutBlockingRequests) {
  TempDir host_dir;
  std::string host_socket = host_dir.file("v.sock_1024");
  Daemon daemon({.config = "[daemon]\nannounce = \"unix:" + host_socket + "\"\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  // While the announcement is being retried, requests are answered. The host only starts
  // listening after this answer, so a daemon that blocked on the announcement never answers.
  RpcTestClient client(daemon.socket_path());
  EXPECT_TRUE(client.call("daemon.health").as_object().contains("result"));
  EXPECT_EQ(daemon.log().find("announced ready"), std::string::npos) << daemon.log();
  std::this_thread::sleep_for(400ms);  // the host comes up late, as a slow VMM host would
  HostStandIn host(host_socket);
  auto data = host.receive(8s);
  ASSERT_TRUE(data) << "no announcement after the host started listening\n" << daemon.log();
  expect_ready_event(*data);
  EXPECT_TRUE(
      wait_until([&] { return daemon.log().find("announced ready") != std::string::npos; }));
  EXPECT_EQ(daemon.log().find("attempt=1\n"), std::string::npos) << daemon.log();
}

}  // namespace
}  // namespace taskd::test
