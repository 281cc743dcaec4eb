// A peer the vsock CID filter refuses is told why in one FORBIDDEN line before the close, and
// taskctl shows that line (or "taskd closed the connection"), not "write failed: Broken pipe".
#include "daemon/rpc/peer_refusal.h"
#include "ctl/client.h"
#include "daemon/rpc/vsock_listener.h"
#include "tests/support/process.h"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace taskd {
namespace {
namespace json = boost::json;

Error refused_cid_4() {
  std::vector<std::uint32_t> host_only = {2};
  return rpc::check_vsock_peer(4, 1025, host_only).error();
}

std::string read_all(int fd) {
  std::string data;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) data.append(buffer, n);
  return data;
}

TEST(PeerRefusal, OneForbiddenLineNamingTheCidThenTheClose) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  boost::asio::io_context io;
  LineConnection::Socket socket(io, boost::asio::generic::stream_protocol(AF_UNIX, SOCK_STREAM),
                                pair[0]);
  rpc::refuse_peer(socket, refused_cid_4());
  EXPECT_FALSE(socket.is_open());
  std::string data = read_all(pair[1]);  // EOF follows the line
  ::close(pair[1]);
  ASSERT_FALSE(data.empty()) << "the refused peer was told nothing";
  ASSERT_EQ(data.find('\n'), data.size() - 1) << data;
  json::value reply = json::parse(data);
  EXPECT_TRUE(reply.at("id").is_null());
  EXPECT_EQ(reply.at("error").at("code").as_int64(), -32016);
  EXPECT_EQ(reply.at("error").at("data").at("code").as_string(), "FORBIDDEN");
  EXPECT_EQ(reply.at("error").at("data").at("cid").as_string(), "4");
  EXPECT_NE(std::string(reply.at("error").at("message").as_string()).find("CID 4"),
            std::string::npos);
}

// A listening UNIX socket standing in for a daemon that refuses its peer.
class RefusingPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path_.c_str());
    ASSERT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(listener_, 4), 0);
  }
  void TearDown() override { ::close(listener_); }
  // Connects `client` (its first read times out at once), then accepts, says `line`, closes:
  // the client's next request hits a closed peer (EPIPE) deterministically.
  void connect_then_refuse(ctl::Client& client, const std::string& line) {
    auto timed_out = client.read_message(0);
    ASSERT_FALSE(timed_out);
    int peer = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(peer, 0);
    if (!line.empty()) {
      ASSERT_EQ(::write(peer, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    }
    ::close(peer);
  }

  test::TempDir dir_;
  std::string path_ = dir_.file("s");
  int listener_ = -1;
};

TEST_F(RefusingPeer, TaskctlShowsTheReasonTheDaemonGaveBeforeClosing) {
  ctl::Client client("unix:" + path_, ConnectOptions{});
  connect_then_refuse(client, rpc::refusal_line(refused_cid_4()));
  auto reply = client.call("daemon.health", nullptr, 5000);
  ASSERT_FALSE(reply);
  EXPECT_TRUE(reply.error().transport);
  EXPECT_EQ(reply.error().code, "FORBIDDEN");
  EXPECT_EQ(reply.error().message.find("taskd closed the connection: peer vsock:4:1025: CID 4"), 0u)
      << reply.error().message;
}

TEST_F(RefusingPeer, ASilentCloseIsReportedAsSuchNotAsABrokenPipe) {
  ctl::Client client("unix:" + path_, ConnectOptions{});
  connect_then_refuse(client, "");
  auto reply = client.call("daemon.health", nullptr, 5000);
  ASSERT_FALSE(reply);
  EXPECT_TRUE(reply.error().transport);
  EXPECT_EQ(reply.error().message, "taskd closed the connection");
}

}  // namespace
}  // namespace taskd
