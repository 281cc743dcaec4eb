// The explicit method table and the one place where domain errors become JSON-RPC errors.
// Sync methods answer inline, in request order; async methods run as coroutines and answer
// when done (replies are matched by id, so they may overtake each other).
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
}

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

class Dispatcher {
 public:
  explicit Dispatcher(boost::asio::any_io_executor executor);

  void add(std::string_view name, SyncMethod method);
  void add_async(std::string_view name, AsyncMethod method);
  std::vector<std::string> method_names() const;

  // Parses one line and answers every request in it on `connection`.
  void dispatch(std::string_view line, const std::shared_ptr<RpcConnection>& connection);
  // The reply for a line over the limit (sent before the connection closes).
  static std::string line_too_long_reply(std::size_t limit);

 private:
  MethodResult call_sync(const proto::Request& request,
                         const std::shared_ptr<RpcConnection>& connection);
  boost::asio::awaitable<MethodResult> call_async(const proto::Request& request,
                                                  const std::shared_ptr<RpcConnection>& connection);

  struct Entry {
    SyncMethod sync;
    AsyncMethod async;
  };

  boost::asio::any_io_executor executor_;
  std::map<std::string, Entry, std::less<>> methods_;
};

}  // namespace taskd::rpc
