// LineConnection over a real socketpair on a real io_context: framing limits, the bounded queue,
// backpressure before every line, reservations, the daemon-wide budget and the idle watchdog.
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
  std::size_t reply_bytes = 0;  // 0: echo the line
  int too_long = 0;
  int closed = 0;
  std::string idle_reason;

 protected:
  boost::asio::awaitable<void> on_line(std::string_view line) override {
    lines.emplace_back(line);
    send(reply_bytes ? std::string(reply_bytes, 'r') : "echo:" + std::string(line));
    co_return;
  }
  void on_idle_close(std::string_view why) override { idle_reason = why; }
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

TEST(LineConnection, BackpressureIsCheckedBeforeEveryLineNotPerRead) {
  Pair pair({1024, 64 * 1024});
  int small = 4096;
  ::setsockopt(pair.ours.native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  pair.connection->reply_bytes = 16 * 1024;
  std::string many;
  for (int i = 0; i < 100; ++i) many += "q\n";
  pair.write(many);  // one read holds all 100 requests; we never read the replies
  pair.io.run_for(std::chrono::milliseconds(100));
  // Half the queue (32 KiB) is reached after a few replies beyond what the kernel buffers
  // took; the rest wait unread (per read, all 100 ran and queued 1.6 MB).
  EXPECT_LT(pair.connection->lines.size(), 50u);
  EXPECT_LE(pair.connection->queued_bytes(), 64u * 1024);
  EXPECT_TRUE(pair.connection->is_open());
}

TEST(LineConnection, ReservationsCountAndGateTheReader) {
  Pair pair({1024, 64 * 1024});
  EXPECT_TRUE(pair.connection->reserve(40 * 1024));
  EXPECT_FALSE(pair.connection->reserve(30 * 1024));  // would pass max_queue_bytes
  pair.connection->release(40 * 1024);
  EXPECT_TRUE(pair.connection->reserve(70 * 1024));  // an empty connection takes any one
  pair.write("a\n");
  pair.io.run_for(std::chrono::milliseconds(30));
  EXPECT_TRUE(pair.connection->lines.empty());  // over the queue: the reader waits
  pair.connection->release(70 * 1024);
  EXPECT_EQ(pair.read_line(), "echo:a");
}

TEST(LineConnection, DaemonWideBudgetRefusesBeyondTheAllowance) {
  auto budget = std::make_shared<QueueBudget>(100 * 1024);
  Pair first({1024, 1 << 20, std::chrono::milliseconds(0), budget});
  Pair second({1024, 1 << 20, std::chrono::milliseconds(0), budget});
  EXPECT_TRUE(first.connection->reserve(150 * 1024));  // 64 KiB free + 86 KiB of the budget
  EXPECT_FALSE(second.connection->reserve(100 * 1024));
  EXPECT_TRUE(second.connection->reserve(60 * 1024));  // within its own allowance
  EXPECT_FALSE(second.connection->send_event(std::string(20 * 1024, 'e')));
  EXPECT_FALSE(second.connection->is_open());
  first.connection->release(150 * 1024);
  EXPECT_EQ(budget->used(), 0u);
}

TEST(LineConnection, IdleTimeoutClosesAnIncompleteLine) {
  Pair pair({1024, 1 << 20, std::chrono::milliseconds(100)});
  pair.write("{\"never\":");
  for (int i = 0; i < 100 && pair.connection->is_open(); ++i) {
    pair.io.run_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(pair.connection->is_open());
  EXPECT_EQ(pair.connection->idle_reason, "an incomplete line");
}

TEST(LineConnection, IdleTimeoutLeavesAQuietConnectionOpen) {
  Pair pair({1024, 1 << 20, std::chrono::milliseconds(50)});
  pair.write("a\n");
  EXPECT_EQ(pair.read_line(), "echo:a");
  pair.io.run_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(pair.connection->is_open());
}

TEST(LineConnection, IdleTimeoutClosesAPeerThatDoesNotRead) {
  Pair pair({1024, 64 << 20, std::chrono::milliseconds(100)});
  int small = 4096;
  ::setsockopt(pair.ours.native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  pair.connection->send(std::string(4 << 20, 'x'));
  for (int i = 0; i < 100 && pair.connection->is_open(); ++i) {
    pair.io.run_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(pair.connection->is_open());
  EXPECT_EQ(pair.connection->idle_reason, "the peer to read its replies");
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
