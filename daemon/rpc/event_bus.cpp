#include "daemon/rpc/event_bus.h"

#include "daemon/rpc/rpc_connection.h"
#include "proto/jsonrpc.h"
#include "proto/methods.h"

#include <algorithm>
#include <chrono>

namespace taskd::rpc {
namespace json = boost::json;

std::optional<std::uint32_t> topic_bit(std::string_view topic) {
  for (std::uint32_t i = 0; i < std::size(proto::topic::kAll); ++i) {
    if (proto::topic::kAll[i] == topic) return 1u << i;
  }
  return std::nullopt;
}

std::uint32_t all_topics_mask() { return (1u << std::size(proto::topic::kAll)) - 1; }

void EventBus::add_subscriber(const std::shared_ptr<RpcConnection>& connection) {
  for (const auto& existing : subscribers_) {
    if (existing.lock() == connection) return;
  }
  subscribers_.push_back(connection);
}

std::size_t EventBus::subscriber_count() {
  std::erase_if(subscribers_, [](const auto& weak) {
    auto connection = weak.lock();
    return !connection || !connection->is_open() || connection->topics() == 0;
  });
  return subscribers_.size();
}

std::string EventBus::encode(std::string_view topic, std::string_view type, json::object fields) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  fields.emplace("topic", topic);
  fields.emplace("type", type);
  fields.emplace("seq", ++seq_);
  fields.emplace("time_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  return proto::serialize(proto::make_notification(proto::method::kEvent, std::move(fields)));
}

void EventBus::publish(std::string_view topic, std::string_view type, json::object fields) {
  auto bit = topic_bit(topic);
  if (!bit || subscriber_count() == 0) {
    ++seq_;
    return;
  }
  std::string line = encode(topic, type, std::move(fields));
  // Copy: a full queue closes a subscriber, which may run hooks that publish again.
  auto targets = subscribers_;
  for (const auto& weak : targets) {
    auto connection = weak.lock();
    if (connection && (connection->topics() & *bit)) connection->send_event(line);
  }
}

void EventBus::publish_also_to(const std::shared_ptr<RpcConnection>& also, std::string_view topic,
                               std::string_view type, json::object fields) {
  auto bit = topic_bit(topic);
  if (!also || !also->is_open() || !bit || (also->topics() & *bit)) {
    publish(topic, type, std::move(fields));
    return;
  }
  std::string line = encode(topic, type, std::move(fields));
  auto targets = subscribers_;  // copied: sending may close a subscriber, which may publish
  also->send_event(line);
  for (const auto& weak : targets) {
    auto connection = weak.lock();
    if (connection && (connection->topics() & *bit)) connection->send_event(line);
  }
}

bool EventBus::send_to(RpcConnection& connection, std::string_view topic, std::string_view type,
                       json::object fields) {
  return connection.send_event(encode(topic, type, std::move(fields)));
}

}  // namespace taskd::rpc
