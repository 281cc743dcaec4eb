// JSON-RPC 2.0 envelope, pure (no I/O): one line in, requests or ready-made error replies out;
// replies and notifications built and serialised here so every byte on the wire has one source.
#pragma once

#include "common/error.h"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace taskd::proto {

namespace json = boost::json;

struct Request {
  std::string method;
  json::value params;             // null when absent; otherwise an object or an array
  std::optional<json::value> id;  // absent for a notification (no reply is sent)

  bool is_notification() const { return !id.has_value(); }
};

// One element of an incoming line: a request to dispatch, or the error reply to send back.
using Incoming = std::variant<Request, json::object>;

struct ParsedLine {
  bool is_batch = false;
  std::vector<Incoming> items;  // empty for a blank line
};

ParsedLine parse_line(std::string_view line);

json::object make_result(const json::value& id, json::value result);
json::object make_error(const json::value& id, const Error& error);
json::object make_notification(std::string_view method, json::value params);

std::string serialize(const json::value& message);

}  // namespace taskd::proto
