#include "daemon/rpc/dispatcher.h"

#include "common/log.h"
#include "daemon/rpc/rpc_connection.h"
#include "proto/jsonrpc.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/json/serialize.hpp>

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

json::object to_reply(const proto::Request& request, MethodResult result) {
  if (result) return proto::make_result(*request.id, std::move(*result));
  return proto::make_error(*request.id, result.error());
}

Error unknown_method(const proto::Request& request) {
  return make_error(ErrorCode::kMethodNotFound, "unknown method '" + request.method + "'");
}

void send_replies(RpcConnection& connection, bool is_batch, json::array replies) {
  if (replies.empty()) return;  // only notifications
  if (is_batch) {
    connection.send(json::serialize(replies));
  } else {
    connection.send(json::serialize(replies.front()));
  }
}

}  // namespace

Dispatcher::Dispatcher(asio::any_io_executor executor) : executor_(std::move(executor)) {}

void Dispatcher::add(std::string_view name, SyncMethod method) {
  methods_[std::string(name)] = Entry{std::move(method), {}};
}

void Dispatcher::add_async(std::string_view name, AsyncMethod method) {
  methods_[std::string(name)] = Entry{{}, std::move(method)};
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

void Dispatcher::dispatch(std::string_view line, const std::shared_ptr<RpcConnection>& connection) {
  proto::ParsedLine parsed = proto::parse_line(line);
  if (parsed.items.empty()) return;
  bool has_async = false;
  for (const auto& item : parsed.items) {
    if (const auto* request = std::get_if<proto::Request>(&item)) {
      auto found = methods_.find(request->method);
      has_async = has_async || (found != methods_.end() && found->second.async);
    }
  }
  if (has_async) {
    // Runs the whole line (one request or a batch) as a coroutine; the reply follows later.
    auto run = [](Dispatcher* self, proto::ParsedLine items,
                  std::shared_ptr<RpcConnection> conn) -> asio::awaitable<void> {
      json::array replies;
      for (auto& item : items.items) {
        if (auto* error = std::get_if<json::object>(&item)) {
          replies.emplace_back(std::move(*error));
          continue;
        }
        auto& request = std::get<proto::Request>(item);
        MethodResult result = co_await self->call_async(request, conn);  // no temporaries here
        if (!request.is_notification()) replies.emplace_back(to_reply(request, std::move(result)));
      }
      if (conn->is_open()) send_replies(*conn, items.is_batch, std::move(replies));
    };
    asio::co_spawn(executor_, run(this, std::move(parsed), connection), [](std::exception_ptr e) {
      if (e) log(LogChannel::kRpc).error("request coroutine ended with an exception");
    });
    return;
  }
  json::array replies;
  for (auto& item : parsed.items) {
    if (auto* error = std::get_if<json::object>(&item)) {
      replies.emplace_back(std::move(*error));
      continue;
    }
    auto& request = std::get<proto::Request>(item);
    MethodResult result = call_sync(request, connection);
    if (!request.is_notification()) replies.emplace_back(to_reply(request, std::move(result)));
  }
  send_replies(*connection, parsed.is_batch, std::move(replies));
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
