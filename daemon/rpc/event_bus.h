// Fan-out of server-pushed events to the connections that subscribed to their topic. An event is
// serialised once; a subscriber whose queue is full is disconnected (LineConnection::send_event).
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace taskd::rpc {

class RpcConnection;

// Bit of a topic name in RpcConnection::topics(), or nullopt for an unknown topic.
std::optional<std::uint32_t> topic_bit(std::string_view topic);
std::uint32_t all_topics_mask();

class EventBus {
 public:
  void add_subscriber(const std::shared_ptr<RpcConnection>& connection);

  // Adds "topic", "type", "seq" and "time_ms" to `fields` and sends it as an `event`
  // notification to every subscriber of `topic`.
  void publish(std::string_view topic, std::string_view type, boost::json::object fields);
  // publish(), and the same line to `also` when it is not subscribed to `topic`: a connection
  // that asked for the events of its own request (session.prompt) gets each one exactly once.
  void publish_also_to(const std::shared_ptr<RpcConnection>& also, std::string_view topic,
                       std::string_view type, boost::json::object fields);
  // Sends one event to one connection regardless of its subscriptions (exec streaming).
  bool send_to(RpcConnection& connection, std::string_view topic, std::string_view type,
               boost::json::object fields);

  std::size_t subscriber_count();
  std::uint64_t published() const { return seq_; }

 private:
  std::string encode(std::string_view topic, std::string_view type, boost::json::object fields);

  std::vector<std::weak_ptr<RpcConnection>> subscribers_;
  std::uint64_t seq_ = 0;
};

}  // namespace taskd::rpc
