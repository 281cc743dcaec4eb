#include "daemon/rpc/announce.h"

#include "common/log.h"
#include "common/vsock.h"
#include "proto/jsonrpc.h"
#include "proto/methods.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <sys/un.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>

namespace taskd::rpc {
namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;
using Endpoint = asio::generic::stream_protocol::endpoint;

namespace {

Endpoint endpoint_of(const Address& target) {
  if (const auto* vsock = std::get_if<VsockAddress>(&target)) {
    sockaddr_vm address = make_vsock_sockaddr(vsock->cid, vsock->port);
    return Endpoint(&address, sizeof address);
  }
  // The config loader admits only vsock: and unix: targets.
  const std::string& path = std::get<UnixAddress>(target).path;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return Endpoint(&address, offsetof(sockaddr_un, sun_path) + path.size() + 1);
}

struct Outcome {
  std::string error;   // empty: delivered
  bool final = false;  // retrying cannot help (no vsock in this kernel)
};

// One connect + write, both bounded by `timeout`.
asio::awaitable<Outcome> announce_once(Endpoint endpoint, std::string line,
                                       std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  asio::generic::stream_protocol::socket socket(executor);
  boost::system::error_code ec;
  socket.open(endpoint.protocol(), ec);
  if (ec) co_return Outcome{"socket: " + ec.message(), vsock_unavailable_errno(ec.value())};
  asio::steady_timer timer(executor, timeout);
  auto connected = co_await (socket.async_connect(endpoint, asio::as_tuple(asio::use_awaitable)) ||
                             timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (connected.index() == 1) co_return Outcome{"connect timed out"};
  if (auto [error] = std::get<0>(connected); error) {
    co_return Outcome{"connect: " + error.message()};
  }
  line.push_back('\n');
  auto written = co_await (
      asio::async_write(socket, asio::buffer(line), asio::as_tuple(asio::use_awaitable)) ||
      timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (written.index() == 1) co_return Outcome{"write timed out"};
  if (auto [error, n] = std::get<0>(written); error) co_return Outcome{"write: " + error.message()};
  socket.shutdown(asio::socket_base::shutdown_send, ec);  // a clean EOF after the one line
  co_return Outcome{};
}

asio::awaitable<void> announce_loop(Address target, std::string line, AnnouncePolicy policy) {
  auto executor = co_await asio::this_coro::executor;
  std::string name = to_string(target);
  Endpoint endpoint = endpoint_of(target);
  auto delay = policy.first_delay;
  for (int attempt = 1; attempt <= policy.attempts; ++attempt) {
    Outcome outcome = co_await announce_once(endpoint, line, policy.attempt_timeout);
    if (outcome.error.empty()) {
      log(LogChannel::kMain).info("announced ready target={} attempt={}", name, attempt);
      co_return;
    }
    if (attempt == policy.attempts || outcome.final) {
      log(LogChannel::kMain)
          .warn("failed to announce ready target={} attempts={} error={}", name, attempt,
                outcome.error);
      co_return;
    }
    log(LogChannel::kMain)
        .debug("announce attempt failed target={} attempt={} error={}", name, attempt,
               outcome.error);
    asio::steady_timer pause(executor, delay);
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    delay = std::min(delay * 2, policy.max_delay);
  }
}

void log_exception(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    log(LogChannel::kMain).error("announce failed: {}", e.what());
  }
}

}  // namespace

std::string announce_line(const ReadyAnnouncement& announcement) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  json::object params{
      {"topic", proto::topic::kDaemon},
      {"type", "ready"},
      {"boot_id", announcement.boot_id},
      {"version", announcement.version},
      {"protocol", proto::kProtocolVersion},
      {"vsock_port", announcement.vsock_port},
      {"time_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now).count()},
  };
  return proto::serialize(proto::make_notification(proto::method::kEvent, std::move(params)));
}

std::string read_boot_id(const std::string& path) {
  std::ifstream in(path);
  std::string id;
  if (!std::getline(in, id) || id.empty()) return "unknown";
  return id;
}

void start_announce(asio::io_context& io, Address target, std::string line, AnnouncePolicy policy) {
  asio::co_spawn(io, announce_loop(std::move(target), std::move(line), policy), log_exception);
}

}  // namespace taskd::rpc
