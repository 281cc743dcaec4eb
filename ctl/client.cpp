#include "ctl/client.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace taskd::ctl {
namespace json = boost::json;

namespace {

CallFailure remote_failure(const json::value& error) {
  CallFailure failure{false, false, "malformed error from taskd", "", error};
  const json::object* object = error.if_object();
  if (!object) return failure;
  if (const auto* text = object->if_contains("message"); text && text->is_string()) {
    failure.message = std::string(text->get_string());
  }
  if (const auto* data = object->if_contains("data"); data && data->is_object()) {
    if (const auto* code = data->get_object().if_contains("code"); code && code->is_string()) {
      failure.code = std::string(code->get_string());
    }
  }
  return failure;
}

}  // namespace

Client::Client(std::string address_text, ConnectOptions options)
    : address_text_(std::move(address_text)), options_(options) {}

CallFailure Client::transport_failure(std::string message) {
  line_.reset();
  return CallFailure{true, false, std::move(message), {}, nullptr};
}

CallFailure Client::send_failure(std::string message) {
  constexpr int kReasonWaitMs = 200;
  auto line = line_->read_line(kReasonWaitMs);
  boost::system::error_code ec;
  json::value reply = line ? json::parse(*line, ec) : json::value(nullptr);
  const json::object* object = ec ? nullptr : reply.if_object();
  if (object && object->contains("error") && object->contains("id") && object->at("id").is_null()) {
    line_.reset();
    CallFailure failure = remote_failure(object->at("error"));
    failure.transport = true;
    failure.message = "taskd closed the connection: " + failure.message + " (" + failure.code + ")";
    return failure;
  }
  return transport_failure(std::move(message));
}

boost::system::result<void, CallFailure> Client::ensure_connected() {
  if (line_) return {};
  auto address = parse_address(address_text_);
  if (!address) return CallFailure{true, false, address.error().message, {}, nullptr};
  auto client = LineClient::connect(*address, options_);
  if (!client) return CallFailure{true, false, client.error().message, {}, nullptr};
  line_.emplace(std::move(*client));
  return {};
}

CallResult Client::read_message(int timeout_ms) {
  if (auto ok = ensure_connected(); !ok) return ok.error();
  auto line = line_->read_line(timeout_ms);
  if (!line) {
    if (line.error().code == ErrorCode::kCancelled) {
      return CallFailure{false, true, "interrupted", "", nullptr};
    }
    if (line.error().code == ErrorCode::kTimeout) {
      return CallFailure{false, false, line.error().message,
                         std::string(error_code_name(line.error().code)), nullptr};
    }
    return transport_failure(line.error().message);
  }
  boost::system::error_code ec;
  json::value message = json::parse(*line, ec);
  if (ec) return transport_failure("unreadable reply from taskd: " + ec.message());
  return message;
}

CallResult Client::call(std::string_view method, json::value params, int timeout_ms,
                        const OnNotification& on_event) {
  if (auto ok = ensure_connected(); !ok) return ok.error();
  std::int64_t id = next_id_++;
  json::object request{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) request.emplace("params", std::move(params));
  if (auto sent = line_->send_line(json::serialize(request)); !sent) {
    return send_failure(sent.error().message);
  }
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::milliseconds(std::max(timeout_ms, 0));
  for (;;) {
    int wait_ms = -1;
    if (timeout_ms >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      wait_ms = static_cast<int>(std::max<std::int64_t>(left.count(), 0));
    }
    auto message = read_message(wait_ms);
    if (!message) return message;
    const json::object* reply = message->if_object();
    if (!reply) continue;
    const json::value* reply_id = reply->if_contains("id");
    if (!reply_id || !reply_id->is_int64() || reply_id->get_int64() != id) {
      if (reply_id && reply_id->is_null() && reply->contains("error")) {
        // An error the daemon could not attribute (over-long line, connection limit).
        return remote_failure(reply->at("error"));
      }
      if (on_event && !reply_id) {
        if (const json::value* event_params = reply->if_contains("params")) on_event(*event_params);
      }
      continue;  // an event notification, or a late reply
    }
    if (const json::value* result = reply->if_contains("result")) return *result;
    const json::value* error = reply->if_contains("error");
    if (!error || !error->is_object()) return transport_failure("malformed reply from taskd");
    return remote_failure(*error);
  }
}

}  // namespace taskd::ctl
