// Fuzzes proto/jsonrpc: one request line in, as the dispatcher gets it from the framer. Every
// reply the daemon would build from the outcome (a result or an error echoing the id and the
// method, or the ready-made error) must serialise to one line of JSON that parses back to the
// same value. (Params are never echoed raw: methods decode them into typed fields first.)
#include "fuzz_check.h"
#include "proto/jsonrpc.h"

#include <boost/json/parse.hpp>

#include <string_view>
#include <variant>

namespace {

namespace json = boost::json;
using taskd::proto::Incoming;
using taskd::proto::Request;

// `exact`: false for an id that is a fractional or huge number, which Boost.JSON 1.81 reads
// imprecisely (it may come back differing in the last digit; JSON-RPC says ids SHOULD NOT be
// fractional, and taskctl and the Python client use integers).
void check_reply(const json::value& reply, bool exact = true) {
  std::string line = taskd::proto::serialize(reply);
  FUZZ_CHECK(line.find('\n') == std::string::npos, "a reply is one line");
  boost::system::error_code ec;
  json::value back = json::parse(line, ec);
  FUZZ_CHECK(!ec, "a reply parses as JSON");
  FUZZ_CHECK(!exact || back == reply, "a reply parses back to the same value");
}

void check_request(const Request& request) {
  FUZZ_CHECK(request.params.is_null() || request.params.is_object() || request.params.is_array(),
             "params are an object, an array or absent");
  if (request.id) {
    const json::value& id = *request.id;
    FUZZ_CHECK(id.is_string() || id.is_number() || id.is_null(), "ids are strings/numbers/null");
  }
  json::value id = request.id ? *request.id : json::value(nullptr);
  bool exact = !id.is_double();
  check_reply(taskd::proto::make_result(id, json::object{{"method", request.method}}), exact);
  taskd::Error error = taskd::make_error(taskd::ErrorCode::kInvalidParams, request.method)
                           .with("method", request.method);
  check_reply(taskd::proto::make_error(id, error), exact);
  check_reply(taskd::proto::make_notification(request.method, json::object{}));
}

void check_error(const json::object& reply) {
  const json::value* error = reply.if_contains("error");
  FUZZ_CHECK(error && error->is_object(), "an error reply has an error object");
  const json::value* code = error->as_object().if_contains("code");
  FUZZ_CHECK(code && code->is_int64() && code->get_int64() < 0, "a negative integer code");
  FUZZ_CHECK(reply.contains("id"), "an error reply has an id (null when unreadable)");
  check_reply(reply, !reply.at("id").is_double());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  taskd::proto::ParsedLine parsed = taskd::proto::parse_line(line);
  FUZZ_CHECK(!parsed.is_batch || !parsed.items.empty(), "a batch has members");
  for (const Incoming& item : parsed.items) {
    if (const Request* request = std::get_if<Request>(&item)) {
      check_request(*request);
    } else {
      check_error(std::get<json::object>(item));
    }
  }
  return 0;
}
