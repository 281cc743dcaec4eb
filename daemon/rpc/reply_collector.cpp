#include "daemon/rpc/reply_collector.h"

#include "daemon/rpc/rpc_connection.h"
#include "proto/jsonrpc.h"

namespace taskd::rpc {
namespace json = boost::json;
namespace {

json::object to_reply(const proto::Request& request, MethodResult result) {
  if (result) return proto::make_result(*request.id, std::move(*result));
  return proto::make_error(*request.id, result.error());
}

Error reply_too_large(std::size_t bytes, const LineConnection& connection) {
  return make_error(ErrorCode::kLimitExceeded,
                    "the reply (" + std::to_string(bytes) +
                        " bytes) does not fit the outbound queue: read the replies already sent, "
                        "or ask for less (max_queue_bytes = " +
                        std::to_string(connection.limits().max_queue_bytes) + ")")
      .with("limit", std::to_string(connection.limits().max_queue_bytes));
}

}  // namespace

ReplyCollector::ReplyCollector(std::shared_ptr<RpcConnection> connection, bool is_batch)
    : connection_(std::move(connection)), is_batch_(is_batch) {}

ReplyCollector::~ReplyCollector() { connection_->release(held_ + pending_); }

bool ReplyCollector::has_room() const {
  return connection_->usage() <= connection_->limits().max_queue_bytes / 2;
}

bool ReplyCollector::hold_for_next(std::size_t bytes, bool already_reserved) {
  connection_->release(pending_);
  pending_ = 0;
  if (!already_reserved && !connection_->reserve(bytes)) return false;
  pending_ = bytes;
  return true;
}

void ReplyCollector::add(const proto::Request& request, MethodResult result) {
  std::size_t reserved = pending_;
  pending_ = 0;
  if (request.is_notification()) {
    connection_->release(reserved);
    return;
  }
  std::string text = proto::serialize(to_reply(request, std::move(result)));
  if (!connection_->resize_reservation(reserved, text.size() + 1)) {
    text = proto::serialize(
        proto::make_error(*request.id, reply_too_large(text.size(), *connection_)));
    connection_->reserve_anyway(text.size() + 1);
  }
  append(text);
}

void ReplyCollector::add_error(json::object error) {
  std::string text = proto::serialize(error);
  connection_->reserve_anyway(text.size() + 1);
  append(text);
}

void ReplyCollector::refuse(const proto::Request& request, std::string why) {
  connection_->release(pending_);
  pending_ = 0;
  if (request.is_notification()) return;
  std::string text = proto::serialize(
      proto::make_error(*request.id, make_error(ErrorCode::kLimitExceeded, std::move(why))));
  connection_->reserve_anyway(text.size() + 1);
  append(text);
}

void ReplyCollector::append(const std::string& text) {
  body_ += count_ == 0 ? (is_batch_ ? "[" : "") : ",";
  body_ += text;
  held_ += text.size() + 1;
  ++count_;
}

void ReplyCollector::finish() {
  if (count_ == 0) return;
  if (is_batch_) body_ += "]";
  connection_->release(held_);  // the same bytes are queued next
  held_ = 0;
  connection_->send(std::move(body_));
  body_.clear();
  count_ = 0;
}

}  // namespace taskd::rpc
