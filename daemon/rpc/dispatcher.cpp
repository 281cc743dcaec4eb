#include "daemon/rpc/dispatcher.h"

#include "common/log.h"
#include "daemon/rpc/reply_collector.h"
#include "daemon/rpc/rpc_connection.h"
#include "proto/jsonrpc.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace taskd::rpc {
namespace asio = boost::asio;
namespace json = boost::json;
namespace {

std::string id_text(const proto::Request& request) {
  return request.id ? json::serialize(*request.id) : "none";
}

Error internal_error(const proto::Request& request, const char* what) {
  log(LogChannel::kRpc)
      .error("method failed unexpectedly: method={} id={} error={}", request.method,
             id_text(request), what);
  return make_error(ErrorCode::kInternal, "internal error in " + request.method);
}

Error unknown_method(const proto::Request& request) {
  return make_error(ErrorCode::kMethodNotFound, "unknown method '" + request.method + "'");
}

std::string batch_too_large_reply(std::size_t members) {
  Error error = make_error(ErrorCode::kLimitExceeded,
                           "batch of " + std::to_string(members) + " requests; at most " +
                               std::to_string(kMaxBatchRequests) + " (none was run)")
                    .with("limit", std::to_string(kMaxBatchRequests));
  return proto::serialize(proto::make_error(nullptr, error));
}

std::string no_room_for_reply(std::size_t bytes) {
  return "not run: no room for its reply (" + std::to_string(bytes) +
         " bytes reserved) in this connection's queue or the daemon-wide max_total_queue_bytes; "
         "read the replies already sent, or retry later";
}

constexpr const char* kBatchFull =
    "not run: the replies to this connection fill half its queue (max_queue_bytes); send the rest "
    "of the batch once they are read";

}  // namespace

Dispatcher::Dispatcher(asio::any_io_executor executor) : executor_(std::move(executor)) {}

void Dispatcher::add(std::string_view name, SyncMethod method) {
  methods_[std::string(name)] = Entry{std::move(method), {}, {}};
}

void Dispatcher::add_async(std::string_view name, AsyncMethod method, ReplyEstimate estimate) {
  methods_[std::string(name)] = Entry{{}, std::move(method), std::move(estimate)};
}

std::vector<std::string> Dispatcher::method_names() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : methods_) names.push_back(name);
  return names;
}

std::string Dispatcher::line_too_long_reply(std::size_t limit) {
  Error error = make_error(ErrorCode::kLineTooLong,
                           "line longer than " + std::to_string(limit) + " bytes; closing")
                    .with("limit", std::to_string(limit));
  return proto::serialize(proto::make_error(nullptr, error));
}

bool Dispatcher::is_async(const proto::Request& request) const {
  auto found = methods_.find(request.method);
  return found != methods_.end() && found->second.async;
}

std::size_t Dispatcher::reply_reserve(const proto::Request& request) const {
  auto found = methods_.find(request.method);
  if (found == methods_.end() || !found->second.async) return 0;
  if (!found->second.estimate) return kDefaultReplyReserve;
  return found->second.estimate(request.params);
}

asio::awaitable<void> Dispatcher::dispatch(std::string_view line,
                                           std::shared_ptr<RpcConnection> connection) {
  proto::ParsedLine parsed = proto::parse_line(line);  // before any co_await: `line` is borrowed
  if (parsed.items.empty()) co_return;
  if (parsed.items.size() > kMaxBatchRequests) {
    connection->send(batch_too_large_reply(parsed.items.size()));
    co_return;
  }
  bool has_async = std::any_of(parsed.items.begin(), parsed.items.end(), [&](const auto& item) {
    const auto* request = std::get_if<proto::Request>(&item);
    return request && is_async(*request);
  });
  if (!has_async) {
    answer_sync(parsed, connection);
    co_return;
  }
  // A single async request reserves its reply before the next line is read; batch members
  // reserve one by one as they run.
  std::size_t need = 0;
  if (!parsed.is_batch) {
    const auto& request = std::get<proto::Request>(parsed.items.front());
    need = reply_reserve(request);
    if (!connection->has_room(need)) co_await connection->wait_for_room(need);
    if (!connection->is_open()) co_return;
    if (!connection->reserve(need)) {
      ReplyCollector replies(connection, false);
      replies.refuse(request, no_room_for_reply(need));
      replies.finish();
      co_return;
    }
  }
  asio::co_spawn(executor_, answer_async(std::move(parsed), connection, need),
                 [](std::exception_ptr e) {
                   if (e) log(LogChannel::kRpc).error("request coroutine ended with an exception");
                 });
}

void Dispatcher::answer_sync(proto::ParsedLine& parsed,
                             const std::shared_ptr<RpcConnection>& connection) {
  ReplyCollector replies(connection, parsed.is_batch);
  for (auto& item : parsed.items) {
    if (auto* error = std::get_if<json::object>(&item)) {
      replies.add_error(std::move(*error));
      continue;
    }
    auto& request = std::get<proto::Request>(item);
    if (parsed.is_batch && !replies.has_room()) {
      replies.refuse(request, kBatchFull);
      continue;
    }
    replies.add(request, call_sync(request, connection));
  }
  replies.finish();
}

// Runs the whole line (one request or a batch) as a coroutine; the reply follows later. Members
// run one after another; once the connection closes, the rest are not run.
asio::awaitable<void> Dispatcher::answer_async(proto::ParsedLine parsed,
                                               std::shared_ptr<RpcConnection> connection,
                                               std::size_t reserved) {
  ReplyCollector replies(connection, parsed.is_batch);
  if (!parsed.is_batch) replies.hold_for_next(reserved, true);
  std::size_t not_run = 0;
  for (auto& item : parsed.items) {
    if (auto* error = std::get_if<json::object>(&item)) {
      replies.add_error(std::move(*error));
      continue;
    }
    auto& request = std::get<proto::Request>(item);
    if (!connection->is_open()) {
      ++not_run;
      continue;
    }
    if (parsed.is_batch) {
      std::size_t need = reply_reserve(request);
      if (!replies.has_room()) {
        replies.refuse(request, kBatchFull);
        continue;
      }
      if (!replies.hold_for_next(need)) {
        replies.refuse(request, no_room_for_reply(need));
        continue;
      }
    }
    MethodResult result = co_await call_async(request, connection);  // no temporaries here
    replies.add(request, std::move(result));
  }
  if (not_run > 0) {
    log(LogChannel::kRpc)
        .info("connection closed: {} request(s) of its batch not run conn={}", not_run,
              connection->id());
  }
  if (connection->is_open()) replies.finish();
}

MethodResult Dispatcher::call_sync(const proto::Request& request,
                                   const std::shared_ptr<RpcConnection>& connection) {
  auto found = methods_.find(request.method);
  if (found == methods_.end()) return unknown_method(request);
  log(LogChannel::kRpc)
      .debug("call method={} id={} conn={}", request.method, id_text(request), connection->id());
  CallContext call{connection};
  try {
    return found->second.sync(request.params, call);
  } catch (const std::exception& e) {
    return internal_error(request, e.what());
  }
}

asio::awaitable<MethodResult> Dispatcher::call_async(
    const proto::Request& request, const std::shared_ptr<RpcConnection>& connection) {
  auto found = methods_.find(request.method);
  if (found == methods_.end()) co_return unknown_method(request);
  if (found->second.sync) co_return call_sync(request, connection);
  log(LogChannel::kRpc)
      .debug("call method={} id={} conn={}", request.method, id_text(request), connection->id());
  AsyncMethod method = found->second.async;  // the table may change while we wait
  const CallContext call{connection};
  MethodResult result = make_error(ErrorCode::kInternal, "no result");
  try {
    result = co_await method(request.params, call);
  } catch (const std::exception& e) {
    result = internal_error(request, e.what());
  }
  co_return result;
}

}  // namespace taskd::rpc
