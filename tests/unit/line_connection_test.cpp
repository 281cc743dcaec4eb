// LineConnection over a real socketpair on a real io_context: framing limits, the bounded queue,
// and backpressure.
#include "common/line_connection.h"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

namespace taskd {
namespace {
namespace asio = boost::asio;

class Recorder : public LineConnection {
 public:
  using LineConnection::LineConnection;
  std::vector<std::string> lines;
  int too_long = 0;
  int closed = 0;

 protected:
  void on_line(std::string_view line) override {
    lines.emplace_back(line);
    send("echo:" + std::string(line));
  }
  void on_line_too_long() override {
    ++too_long;
    send("too long");
  }
  void on_closed() override { ++closed; }
};

struct Pair {
  asio::io_context io;
  asio::local::stream_protocol::socket ours{io};
  std::shared_ptr<Recorder> connection;

  explicit Pair(ConnectionLimits limits) {
    asio::local::stream_protocol::socket theirs(io);
    asio::local::connect_pair(ours, theirs);
    connection = std::make_shared<Recorder>(LineConnection::Socket(std::move(theirs)), limits);
    connection->start();
  }

  void write(const std::string& data) { asio::write(ours, asio::buffer(data)); }
  std::string read_line() {
    for (int i = 0; i < 200 && !has_line() && pending_.size() == 0; ++i) {
      io.run_for(std::chrono::milliseconds(5));
    }
    asio::read_until(ours, pending_, '\n');
    std::istream in(&pending_);
    std::string line;
    std::getline(in, line);
    return line;
  }
  bool has_line() {
    int available = 0;
    ::ioctl(ours.native_handle(), FIONREAD, &available);
    return available > 0;
  }
  asio::streambuf pending_;
};

TEST(LineConnection, AnswersEachLine) {
  Pair pair({1024, 1 << 20});
  pair.write("a\nb\n");
  EXPECT_EQ(pair.read_line(), "echo:a");
  EXPECT_EQ(pair.read_line(), "echo:b");
  EXPECT_EQ(pair.connection->lines, (std::vector<std::string>{"a", "b"}));
}

TEST(LineConnection, LineOverLimitGetsReplyThenClose) {
  Pair pair({16, 1 << 20});
  pair.write(std::string(40, 'x'));
  EXPECT_EQ(pair.read_line(), "too long");
  pair.io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(pair.connection->too_long, 1);
  EXPECT_FALSE(pair.connection->is_open());
  EXPECT_EQ(pair.connection->closed, 1);
}

TEST(LineConnection, SlowSubscriberIsDisconnectedNotBuffered) {
  Pair pair({1024, 64 * 1024});
  int one = 4096;  // small kernel buffers so the queue fills quickly
  ::setsockopt(pair.ours.native_handle(), SOL_SOCKET, SO_RCVBUF, &one, sizeof one);
  std::string event(1000, 'e');
  int sent = 0;
  while (pair.connection->send_event(event) && sent < 100000) {
    ++sent;
    pair.io.poll();
  }
  EXPECT_LT(sent, 100000);
  EXPECT_FALSE(pair.connection->is_open());
  EXPECT_LE(pair.connection->queued_bytes(), 64u * 1024);
  EXPECT_EQ(pair.connection->closed, 1);
}

TEST(LineConnection, PeerCloseEndsConnection) {
  Pair pair({1024, 1 << 20});
  pair.ours.close();
  pair.io.run_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(pair.connection->is_open());
  EXPECT_EQ(pair.connection->closed, 1);
}

}  // namespace
}  // namespace taskd
