// The dispatcher over a real socket pair: the method table, the JSON-RPC error mapping, batches,
// notifications, and async replies that overtake sync ones. The daemon's io_context runs on its
// own thread; the test is the client on the other end of the pair.
#include "daemon/rpc/dispatcher.h"

#include "daemon/rpc/rpc_connection.h"

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>

namespace taskd::rpc {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dispatcher_.add("t.echo",
                    [](const json::value& params, CallContext&) -> MethodResult { return params; });
    dispatcher_.add("t.missing", [](const json::value&, CallContext&) -> MethodResult {
      return make_error(ErrorCode::kNotFound, "no such thing").with("id", "x");
    });
    dispatcher_.add("t.throws", [](const json::value&, CallContext&) -> MethodResult {
      throw std::runtime_error("boom");
    });
    dispatcher_.add("t.count", [this](const json::value&, CallContext&) -> MethodResult {
      return json::value(++calls_);
    });
    // Waits until t.release runs: its reply can only come after a later request's.
    dispatcher_.add_async(
        "t.wait", [this](const json::value&, const CallContext&) -> asio::awaitable<MethodResult> {
          co_await gate_.async_wait(asio::as_tuple(asio::use_awaitable));
          co_return json::value("released");
        });
    dispatcher_.add("t.release", [this](const json::value&, CallContext&) -> MethodResult {
      gate_.cancel();
      return json::value("ok");
    });

    asio::local::stream_protocol::socket server(io_), client(io_);
    asio::local::connect_pair(server, client);
    client_fd_ = client.release();
    LineConnection::Socket socket(io_, asio::generic::stream_protocol(AF_UNIX, SOCK_STREAM),
                                  server.release());
    connection_ = std::make_shared<RpcConnection>(std::move(socket), ConnectionLimits{}, 1, "test",
                                                  dispatcher_);
    connection_->start();
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    ::close(client_fd_);
    asio::post(io_, [this] {
      connection_->close();
      connection_.reset();
      io_.stop();
    });
    thread_.join();
  }

  void send(const std::string& line) {
    std::string data = line + "\n";
    ASSERT_EQ(::write(client_fd_, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  }

  // The next reply line, or nullopt when none comes within a few seconds.
  std::optional<json::value> receive() {
    while (true) {
      if (auto end = buffer_.find('\n'); end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return json::parse(line);
      }
      pollfd fd{client_fd_, POLLIN, 0};
      if (::poll(&fd, 1, 5000) <= 0) return std::nullopt;
      char chunk[65536];
      ssize_t n = ::read(client_fd_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  json::value call(const std::string& line) {
    send(line);
    auto reply = receive();
    EXPECT_TRUE(reply) << "no reply to " << line;
    return reply ? *reply : json::value();
  }

  asio::io_context io_;
  Dispatcher dispatcher_{io_.get_executor()};
  asio::steady_timer gate_{io_, asio::steady_timer::time_point::max()};
  std::atomic<int> calls_{0};
  std::shared_ptr<RpcConnection> connection_;
  int client_fd_ = -1;
  std::string buffer_;
  std::thread thread_;
};

TEST_F(DispatcherTest, AnswersWithTheRequestsIdAndResult) {
  auto reply = call(R"({"jsonrpc":"2.0","id":7,"method":"t.echo","params":{"a":[1,"x"]}})");
  EXPECT_EQ(json::serialize(reply), R"({"jsonrpc":"2.0","id":7,"result":{"a":[1,"x"]}})");
  reply = call(R"({"jsonrpc":"2.0","id":"abc","method":"t.echo","params":[true]})");
  EXPECT_EQ(reply.at("id"), "abc");
  EXPECT_EQ(reply.at("result"), json::parse("[true]"));
}

TEST_F(DispatcherTest, UnknownMethodIsMethodNotFoundNamingIt) {
  auto reply = call(R"({"jsonrpc":"2.0","id":1,"method":"no.such"})");
  EXPECT_EQ(reply.at("error").at("code"), -32601);
  EXPECT_NE(json::serialize(reply.at("error").at("message")).find("no.such"), std::string::npos);
  EXPECT_EQ(reply.at("error").at("data").at("code"), "METHOD_NOT_FOUND");
}

TEST_F(DispatcherTest, MalformedLinesGetStandardErrorsAndTheConnectionStays) {
  auto reply = call("{not json");
  EXPECT_EQ(reply.at("error").at("code"), -32700);
  EXPECT_TRUE(reply.at("id").is_null());
  reply = call(R"({"jsonrpc":"1.0","id":2,"method":"t.echo"})");
  EXPECT_EQ(reply.at("error").at("code"), -32600);
  reply = call(R"({"jsonrpc":"2.0","id":3,"method":5})");
  EXPECT_EQ(reply.at("error").at("code"), -32600);
  reply = call(R"({"jsonrpc":"2.0","id":4,"method":"t.echo","params":1})");
  EXPECT_EQ(reply.at("error").at("code"), -32600) << "params must be an object or an array";
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":5,"method":"t.echo","params":{}})").at("id"), 5);
}

TEST_F(DispatcherTest, DomainErrorsMapThroughTheErrorTable) {
  auto reply = call(R"({"jsonrpc":"2.0","id":1,"method":"t.missing"})");
  EXPECT_EQ(reply.at("error").at("code"), -32001);
  EXPECT_EQ(reply.at("error").at("message"), "no such thing");
  EXPECT_EQ(reply.at("error").at("data").at("code"), "NOT_FOUND");
  EXPECT_EQ(reply.at("error").at("data").at("id"), "x");
}

TEST_F(DispatcherTest, AThrowingMethodIsAnInternalErrorNotACrash) {
  auto reply = call(R"({"jsonrpc":"2.0","id":1,"method":"t.throws"})");
  EXPECT_EQ(reply.at("error").at("code"), -32603);
  EXPECT_EQ(reply.at("error").at("data").at("code"), "INTERNAL_ERROR");
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":2,"method":"t.echo","params":{}})").at("id"), 2);
}

TEST_F(DispatcherTest, NotificationsRunButGetNoReply) {
  send(R"({"jsonrpc":"2.0","method":"t.count"})");
  auto reply = call(R"({"jsonrpc":"2.0","id":9,"method":"t.count"})");
  EXPECT_EQ(reply.at("id"), 9) << "the notification must not have been answered";
  EXPECT_EQ(reply.at("result"), 2);
}

TEST_F(DispatcherTest, BatchesAnswerEveryMemberInOneArray) {
  auto reply = call(R"([{"jsonrpc":"2.0","id":1,"method":"t.echo","params":[1]},)"
                    R"({"jsonrpc":"2.0","method":"t.count"},)"
                    R"({"jsonrpc":"2.0","id":2,"method":"no.such"},)"
                    R"(17,)"
                    R"({"jsonrpc":"2.0","id":3,"method":"t.count"}])");
  ASSERT_TRUE(reply.is_array()) << json::serialize(reply);
  const auto& items = reply.as_array();
  ASSERT_EQ(items.size(), 4u) << json::serialize(reply);
  EXPECT_EQ(items[0].at("result"), json::parse("[1]"));
  EXPECT_EQ(items[1].at("error").at("code"), -32601);
  EXPECT_EQ(items[2].at("error").at("code"), -32600);
  EXPECT_EQ(items[3].at("result"), 2);
}

TEST_F(DispatcherTest, AnEmptyBatchIsInvalid) {
  EXPECT_EQ(call("[]").at("error").at("code"), -32600);
}

TEST_F(DispatcherTest, AnOversizedBatchRunsNothing) {
  std::string batch = "[";
  for (std::size_t i = 0; i <= kMaxBatchRequests; ++i) {
    if (i) batch += ",";
    batch += R"({"jsonrpc":"2.0","id":)" + std::to_string(i) + R"(,"method":"t.count"})";
  }
  batch += "]";
  auto reply = call(batch);
  EXPECT_EQ(reply.at("error").at("data").at("code"), "LIMIT_EXCEEDED");
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(DispatcherTest, AnAsyncReplyIsOvertakenBySyncRepliesSentAfterIt) {
  send(R"({"jsonrpc":"2.0","id":"slow","method":"t.wait"})");
  send(R"({"jsonrpc":"2.0","id":"fast","method":"t.release"})");
  auto first = receive();
  auto second = receive();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->at("id"), "fast");
  EXPECT_EQ(second->at("id"), "slow");
  EXPECT_EQ(second->at("result"), "released");
}

TEST_F(DispatcherTest, TheMethodTableListsWhatWasAdded) {
  auto names = dispatcher_.method_names();
  EXPECT_EQ(names, (std::vector<std::string>{"t.count", "t.echo", "t.missing", "t.release",
                                             "t.throws", "t.wait"}));
}

}  // namespace
}  // namespace taskd::rpc
