#include "proto/jsonrpc.h"

#include "proto/error_codes.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>

namespace taskd::proto {
namespace {

constexpr std::size_t kMaxDepth = 64;

json::object invalid_request(const json::value& id, std::string message) {
  return make_error(id, taskd::make_error(ErrorCode::kInvalidRequest, std::move(message)));
}

// A number too large for a double (1e400) reads as infinity, and Boost.JSON would echo it as
// `Infinity`, which is not JSON: such an id is refused (the error reply has id null).
bool is_valid_id(const json::value& id) {
  if (id.is_double()) return std::isfinite(id.get_double());
  return id.is_string() || id.is_number() || id.is_null();
}

Incoming parse_message(const json::value& message) {
  const json::object* object = message.if_object();
  if (!object) return invalid_request(nullptr, "request must be a JSON object");
  const json::value* id = object->if_contains("id");
  if (id && !is_valid_id(*id)) {
    return invalid_request(nullptr, "'id' must be a string, a number or null");
  }
  const json::value& reply_id = id ? *id : json::value(nullptr);
  const json::value* version = object->if_contains("jsonrpc");
  if (!version || !version->is_string() || version->get_string() != "2.0") {
    return invalid_request(reply_id, "'jsonrpc' must be \"2.0\"");
  }
  const json::value* method = object->if_contains("method");
  if (!method || !method->is_string()) {
    return invalid_request(reply_id, "'method' must be a string");
  }
  Request request;
  request.method = std::string(method->get_string());
  if (const json::value* params = object->if_contains("params")) {
    if (!params->is_object() && !params->is_array()) {
      return invalid_request(reply_id, "'params' must be an object or an array");
    }
    request.params = *params;
  }
  if (id) request.id = *id;
  return request;
}

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

}  // namespace

ParsedLine parse_line(std::string_view line) {
  ParsedLine parsed;
  if (is_blank(line)) return parsed;
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = kMaxDepth;
  json::value value = json::parse(line, ec, {}, options);
  if (ec) {
    parsed.items.emplace_back(make_error(
        nullptr, taskd::make_error(ErrorCode::kParseError, "parse error: " + ec.message())));
    return parsed;
  }
  if (json::array* batch = value.if_array()) {
    if (batch->empty()) {
      parsed.items.emplace_back(invalid_request(nullptr, "empty batch"));
      return parsed;
    }
    parsed.is_batch = true;
    parsed.items.reserve(batch->size());
    for (const json::value& element : *batch) parsed.items.push_back(parse_message(element));
    return parsed;
  }
  parsed.items.push_back(parse_message(value));
  return parsed;
}

json::object make_result(const json::value& id, json::value result) {
  json::object reply;
  reply.reserve(3);
  reply.emplace("jsonrpc", "2.0");
  reply.emplace("id", id);
  reply.emplace("result", std::move(result));
  return reply;
}

json::object make_error(const json::value& id, const Error& error) {
  json::object data;
  data.emplace("code", error_code_name(error.code));
  for (const auto& [key, value] : error.data) data.emplace(key, value);
  json::object body;
  body.emplace("code", rpc_code(error.code));
  body.emplace("message", error.message);
  body.emplace("data", std::move(data));
  json::object reply;
  reply.emplace("jsonrpc", "2.0");
  reply.emplace("id", id);
  reply.emplace("error", std::move(body));
  return reply;
}

json::object make_notification(std::string_view method, json::value params) {
  json::object message;
  message.emplace("jsonrpc", "2.0");
  message.emplace("method", method);
  message.emplace("params", std::move(params));
  return message;
}

std::string serialize(const json::value& message) { return json::serialize(message); }

}  // namespace taskd::proto
