// The explicit method table and the one place where domain errors become JSON-RPC errors.
// Sync methods answer inline, in request order; async methods run as coroutines and answer
// when done (replies are matched by id, so they may overtake each other). Bounds: a batch has at
// most kMaxBatchRequests members; an async request reserves room for its reply on its connection
// before it runs (see ReplyCollector and LineConnection), so replies still to come count too.
#pragma once

#include "common/error.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace taskd::rpc {

class RpcConnection;

}  // namespace taskd::rpc

namespace taskd::proto {
struct Request;
struct ParsedLine;
}  // namespace taskd::proto

namespace taskd::rpc {

struct CallContext {
  std::shared_ptr<RpcConnection> connection;
};

using MethodResult = Result<boost::json::value>;
using SyncMethod = std::function<MethodResult(const boost::json::value& params, CallContext& call)>;
// Takes references so that no temporaries live inside the co_await expression that awaits it
// (GCC 12 destroys such temporaries wrongly); copy what you keep before the first co_await.
using AsyncMethod = std::function<boost::asio::awaitable<MethodResult>(
    const boost::json::value& params, const CallContext& call)>;
// How many bytes the reply to an async call with these params may take (a reservation, so an
// upper bound for the usual case; a larger reply still has to fit when it comes).
using ReplyEstimate = std::function<std::size_t(const boost::json::value& params)>;

inline constexpr std::size_t kMaxBatchRequests = 256;
inline constexpr std::size_t kDefaultReplyReserve = 16 * 1024;

class Dispatcher {
 public:
  explicit Dispatcher(boost::asio::any_io_executor executor);

  void add(std::string_view name, SyncMethod method);
  void add_async(std::string_view name, AsyncMethod method, ReplyEstimate estimate = {});
  std::vector<std::string> method_names() const;

  // Parses one line and answers every request in it on `connection`: sync ones before it
  // returns, async ones from a coroutine once they are done. A single async request waits here
  // (stalling the reader) until its connection has room for its reply.
  boost::asio::awaitable<void> dispatch(std::string_view line,
                                        std::shared_ptr<RpcConnection> connection);
  // The reply for a line over the limit (sent before the connection closes).
  static std::string line_too_long_reply(std::size_t limit);

 private:
  MethodResult call_sync(const proto::Request& request,
                         const std::shared_ptr<RpcConnection>& connection);
  boost::asio::awaitable<MethodResult> call_async(const proto::Request& request,
                                                  const std::shared_ptr<RpcConnection>& connection);
  void answer_sync(proto::ParsedLine& parsed, const std::shared_ptr<RpcConnection>& connection);
  boost::asio::awaitable<void> answer_async(proto::ParsedLine parsed,
                                            std::shared_ptr<RpcConnection> connection,
                                            std::size_t reserved);
  bool is_async(const proto::Request& request) const;
  std::size_t reply_reserve(const proto::Request& request) const;

  struct Entry {
    SyncMethod sync;
    AsyncMethod async;
    ReplyEstimate estimate;
  };

  boost::asio::any_io_executor executor_;
  std::map<std::string, Entry, std::less<>> methods_;
};

}  // namespace taskd::rpc
