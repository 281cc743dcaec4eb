// The fc: client transport against a local UNIX-socket peer that speaks Firecracker's host-side
// vsock handshake ("CONNECT PORT\n" -> "OK <n>\n"). The peer stands in for Firecracker, which
// cannot run on these machines (no usable KVM); it reproduces the behaviours that matter to the
// client: a good OK, garbage, silence, and the early close Firecracker does while nothing listens
// on the port in the guest yet.
#include "common/firecracker_connect.h"
#include "common/client_socket.h"
#include "tests/support/process.h"

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

namespace taskd {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

enum class Peer { kOk, kOkThenData, kGarbage, kSilence, kCloseAfterConnect };

class FakeFirecracker {
 public:
  // Connection i gets behaviours[min(i, size-1)].
  FakeFirecracker(std::string path, std::vector<Peer> behaviours)
      : path_(std::move(path)), behaviours_(std::move(behaviours)) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path_.c_str());
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 16) != 0) {
      ADD_FAILURE() << "cannot listen on " << path_;
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeFirecracker() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }

  int connections() const { return connections_; }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd pfd{listener_, POLLIN, 0};
      if (::poll(&pfd, 1, 50) <= 0) continue;
      int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      int index = connections_++;
      Peer behaviour = behaviours_[std::min<std::size_t>(index, behaviours_.size() - 1)];
      handle(fd, behaviour);
      ::close(fd);
    }
  }

  void handle(int fd, Peer behaviour) {
    // One read: the client must send the whole request in a single write.
    char buffer[256];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    {
      std::lock_guard lock(mutex_);
      requests_.emplace_back(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
    }
    auto say = [fd](std::string_view text) { (void)!::write(fd, text.data(), text.size()); };
    switch (behaviour) {
      case Peer::kOk: {
        say("OK 1073741824\n");
        n = ::read(fd, buffer, sizeof buffer);  // one JSON-RPC line, echoed back
        if (n > 0) say("echo:" + std::string(buffer, static_cast<std::size_t>(n)));
        break;
      }
      case Peer::kOkThenData: say("OK 7\n{\"hello\":1}\n"); break;
      case Peer::kGarbage: say("HTTP/1.1 400 Bad Request\n"); break;
      case Peer::kSilence:
        for (int i = 0; i < 300 && !stop_; ++i) std::this_thread::sleep_for(10ms);
        break;
      case Peer::kCloseAfterConnect: break;
    }
  }

  std::string path_;
  std::vector<Peer> behaviours_;
  int listener_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::vector<std::string> requests_;
};

Result<UniqueFd> connect_fc(const std::string& path, std::chrono::milliseconds timeout) {
  return connect_address(FirecrackerAddress{path, 52}, ConnectOptions{timeout});
}

void expect_error(const Result<UniqueFd>& result, const std::string& step,
                  const std::string& fragment) {
  ASSERT_FALSE(result) << "connected, expected " << step;
  const std::string& message = result.error().message;
  EXPECT_NE(message.find(": " + step + ": "), std::string::npos) << message;
  EXPECT_NE(message.find(fragment), std::string::npos) << message;
}

TEST(ConnectReply, Parses) {
  EXPECT_EQ(parse_connect_reply("OK 1073741824"), 1073741824u);
  EXPECT_EQ(parse_connect_reply("OK 0"), 0u);
  for (const char* bad :
       {"", "OK", "OK ", "ok 5", "OK 5 ", "OK -1", "OK x", "OK 99999999999", "NOK 5", "OK\t5"}) {
    EXPECT_FALSE(parse_connect_reply(bad)) << bad;
  }
}

TEST(FirecrackerConnect, HandshakeThenJsonRpc) {
  test::TempDir dir;
  FakeFirecracker peer(dir.file("v.sock"), {Peer::kOk});
  auto client = LineClient::connect(*parse_address("fc:" + dir.file("v.sock") + ":52"));
  ASSERT_TRUE(client) << client.error().message;
  ASSERT_TRUE(client->send_line(R"({"jsonrpc":"2.0","id":1,"method":"daemon.health"})"));
  auto reply = client->read_line(5000);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(*reply, R"(echo:{"jsonrpc":"2.0","id":1,"method":"daemon.health"})");
  ASSERT_EQ(peer.requests().size(), 1u);
  EXPECT_EQ(peer.requests()[0], "CONNECT 52\n");
}

TEST(FirecrackerConnect, BytesRightAfterOkStayInTheStream) {
  test::TempDir dir;
  FakeFirecracker peer(dir.file("v.sock"), {Peer::kOkThenData});
  auto client = LineClient::connect(FirecrackerAddress{dir.file("v.sock"), 52});
  ASSERT_TRUE(client) << client.error().message;
  auto line = client->read_line(5000);
  ASSERT_TRUE(line) << line.error().message;
  EXPECT_EQ(*line, R"({"hello":1})");
}

TEST(FirecrackerConnect, GarbageIsABadReplyAndNotRetried) {
  test::TempDir dir;
  FakeFirecracker peer(dir.file("v.sock"), {Peer::kGarbage});
  auto result = connect_fc(dir.file("v.sock"), 5s);
  expect_error(result, "bad reply", "got 'HTTP/1.1 400 Bad Request'");
  EXPECT_EQ(peer.connections(), 1);  // not retried: a retry loop would connect again
}

TEST(FirecrackerConnect, SilenceIsNoOkLineAfterOneSecond) {
  test::TempDir dir;
  FakeFirecracker peer(dir.file("v.sock"), {Peer::kSilence});
  auto start = Clock::now();
  auto result = connect_fc(dir.file("v.sock"), 1500ms);
  auto elapsed = Clock::now() - start;
  expect_error(result, "no OK line", "no reply to CONNECT 52 within");
  EXPECT_GE(elapsed, 1000ms);  // a lower bound only: it waited for the reply as long as told
}

TEST(FirecrackerConnect, EarlyCloseIsRetriedUntilTheGuestListens) {
  test::TempDir dir;
  FakeFirecracker peer(dir.file("v.sock"),
                       {Peer::kCloseAfterConnect, Peer::kCloseAfterConnect, Peer::kOk});
  auto result = connect_fc(dir.file("v.sock"), 5s);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(peer.connections(), 3);
  for (const auto& request : peer.requests()) EXPECT_EQ(request, "CONNECT 52\n");
}

TEST(FirecrackerConnect, EarlyCloseUntilTheTimeoutSaysSo) {
  test::TempDir dir;
  FakeFirecracker peer(dir.file("v.sock"), {Peer::kCloseAfterConnect});
  auto result = connect_fc(dir.file("v.sock"), 400ms);
  expect_error(result, "no OK line", "nothing listening on guest vsock port 52 yet?");
  EXPECT_GT(peer.connections(), 1);
  EXPECT_NE(result.error().message.find("attempts in"), std::string::npos);
}

TEST(FirecrackerConnect, MissingSocket) {
  test::TempDir dir;
  auto start = Clock::now();
  auto result = connect_fc(dir.file("absent.sock"), 300ms);
  expect_error(result, "socket missing", dir.file("absent.sock") + " does not exist");
  // Retried (Firecracker may still be starting) for most of the timeout.
  EXPECT_GE(Clock::now() - start, 200ms);
  EXPECT_NE(result.error().message.find("attempts in"), std::string::npos);
}

TEST(FirecrackerConnect, StaleSocketIsRefused) {
  test::TempDir dir;
  std::string path = dir.file("stale.sock");
  {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path.c_str());
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  }  // closed without listening: the file stays, nothing accepts
  expect_error(connect_fc(path, 200ms), "refused", "nothing accepts on " + path);
}

}  // namespace
}  // namespace taskd
