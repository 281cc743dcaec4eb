// events.subscribe and events.unsubscribe: which topics this connection receives.
#include "daemon/api/api.h"

#include "daemon/rpc/dispatcher.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/rpc/rpc_connection.h"
#include "proto/daemon_types.h"
#include "proto/methods.h"

namespace taskd::api {
namespace json = boost::json;

namespace {

// The topic bits named in params; every topic when none is named.
Result<std::uint32_t> requested_topics(const json::value& params) {
  auto decoded = proto::decode_topics_params(params);
  if (!decoded) return decoded.error();
  if (decoded->topics.empty()) return rpc::all_topics_mask();
  std::uint32_t mask = 0;
  for (const auto& topic : decoded->topics) mask |= rpc::topic_bit(topic).value_or(0);
  return mask;
}

json::value topics_result(std::uint32_t mask) {
  proto::TopicsResult result;
  for (std::string_view topic : proto::topic::kAll) {
    if (mask & *rpc::topic_bit(topic)) result.topics.emplace_back(topic);
  }
  return json::value_from(result);
}

}  // namespace

void register_events_methods(rpc::Dispatcher& dispatcher, ApiContext& context) {
  dispatcher.add(
      proto::method::kEventsSubscribe,
      [&context](const json::value& params, rpc::CallContext& call) -> rpc::MethodResult {
        auto mask = requested_topics(params);
        if (!mask) return mask.error();
        call.connection->set_topics(call.connection->topics() | *mask);
        context.events.add_subscriber(call.connection);
        return topics_result(call.connection->topics());
      });
  dispatcher.add(proto::method::kEventsUnsubscribe,
                 [](const json::value& params, rpc::CallContext& call) -> rpc::MethodResult {
                   auto mask = requested_topics(params);
                   if (!mask) return mask.error();
                   call.connection->set_topics(call.connection->topics() & ~*mask);
                   return topics_result(call.connection->topics());
                 });
}

}  // namespace taskd::api
