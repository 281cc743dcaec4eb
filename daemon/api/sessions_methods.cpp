// session.open / switch / prompt / state / stop, and `session` events.
#include "daemon/api/api.h"

#include "common/log_failure.h"
#include "common/wall_time.h"
#include "daemon/rpc/dispatcher.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/rpc/rpc_connection.h"
#include "daemon/sessions/session_manager.h"
#include "proto/methods.h"
#include "proto/params.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>

namespace taskd::api {
namespace asio = boost::asio;
namespace json = boost::json;
using sessions::SessionInfo;

namespace {

json::object encode_info(const SessionInfo& s) {
  json::object out{{"id", s.id},
                   {"state", sessions::session_state_name(s.state)},
                   {"pid", s.pid},
                   {"last_activity", iso_time(s.last_activity_ms)},
                   {"last_activity_ms", s.last_activity_ms},
                   {"turns", s.turns},
                   {"turn_in_progress", s.turn_in_progress},
                   {"model", s.model},
                   {"thinking_level", s.thinking_level},
                   {"working_folder", s.working_folder}};
  if (!s.error.empty()) out.emplace("error", s.error);
  return out;
}

Result<std::string> decode_id(const json::value& params) {
  std::string id;
  proto::Fields fields(params);
  fields.required("id", id);
  if (auto done = fields.finish(); !done) return done.error();
  return id;
}

asio::awaitable<rpc::MethodResult> open_session(ApiContext& context, json::value params) {
  sessions::OpenRequest request;
  proto::Fields fields(params);
  fields.required("id", request.id)
      .optional("model", request.model)
      .optional("thinking_level", request.thinking_level)
      .optional("working_folder", request.working_folder)
      .optional("agent", request.agent)
      .optional("user", request.user);
  if (auto done = fields.finish(); !done) co_return done.error();
  auto opened = co_await context.sessions.open(std::move(request));
  if (!opened) co_return opened.error();
  json::object out = encode_info(opened->info);
  out.emplace("mode", opened->mode);
  co_return out;
}

asio::awaitable<rpc::MethodResult> stop_session(ApiContext& context, json::value params) {
  auto id = decode_id(params);
  if (!id) co_return id.error();
  auto stopped = co_await context.sessions.stop(*id);
  if (!stopped) co_return stopped.error();
  co_return json::object{{"id", *id}, {"state", "stopped"}};
}

// The turn's agent_output and agent_end, and a task_error that cuts it short, also go to the
// connection that prompted it (once, even when it subscribed too).
std::shared_ptr<rpc::RpcConnection> turn_recipient(PromptRoutes& routes,
                                                   const sessions::SessionEvent& event) {
  bool in_turn = (event.type == "agent_output" && event.turn > 0) || event.type == "agent_end";
  bool turn_cut = event.type == "task_error" || event.type == "task_stopped";
  if (!in_turn && !turn_cut) return nullptr;
  auto recipient = routes.find(event.id);
  if (event.type != "agent_output") routes.clear(event.id);
  return recipient;
}

}  // namespace

void forward_session_events(ApiContext& context) {
  context.sessions.on_event([&context](const sessions::SessionEvent& event) {
    json::object fields{{"id", event.id}};
    if (!event.code.empty()) fields.emplace("code", event.code);
    if (!event.message.empty()) fields.emplace("message", event.message);
    if (!event.errno_name.empty()) fields.emplace("errno", event.errno_name);
    if (!event.reason.empty()) fields.emplace("reason", event.reason);
    if (event.type == "agent_output") fields.emplace("chunk", event.chunk);
    if (event.type == "agent_end") {
      boost::system::error_code ec;
      json::value usage = json::parse(event.usage_json, ec);
      fields.emplace("usage", ec ? json::value(nullptr) : usage);
    }
    if (event.turn > 0) fields.emplace("turn", event.turn);
    context.events.publish_also_to(turn_recipient(context.prompt_routes, event),
                                   proto::topic::kSession, event.type, std::move(fields));
  });
}

void register_sessions_methods(rpc::Dispatcher& dispatcher, ApiContext& context) {
  dispatcher.add_async(proto::method::kSessionOpen,
                       [&context](const json::value& p, const rpc::CallContext&) {
                         return open_session(context, p);
                       });
  dispatcher.add_async(proto::method::kSessionStop,
                       [&context](const json::value& p, const rpc::CallContext&) {
                         return stop_session(context, p);
                       });
  dispatcher.add(proto::method::kSessionSwitch,
                 [&context](const json::value& params, rpc::CallContext&) -> rpc::MethodResult {
                   auto id = decode_id(params);
                   if (!id) return id.error();
                   if (auto allowed = context.sessions.check_switch(*id); !allowed)
                     return allowed.error();
                   // Posted: the "switching" reply is queued before task_switch_started and
                   // task_ready.
                   asio::post(context.io, [&context, target = *id] {
                     asio::co_spawn(context.io, context.sessions.finish_switch(target),
                                    LogFailure(LogChannel::kSess, "session switch"));
                   });
                   return json::object{{"id", *id}, {"status", "switching"}};
                 });
  dispatcher.add(
      proto::method::kSessionPrompt,
      [&context](const json::value& params, rpc::CallContext& call) -> rpc::MethodResult {
        std::string message;
        std::optional<std::string> id;
        proto::Fields fields(params);
        fields.required("message", message).optional("id", id);
        if (auto done = fields.finish(); !done) return done.error();
        auto turn = context.sessions.prompt(message, id);
        if (!turn) return turn.error();
        std::string active = *context.sessions.active();
        context.prompt_routes.set(active, call.connection);
        return json::object{{"id", active}, {"turn", *turn}, {"status", "sent"}};
      });
  dispatcher.add(proto::method::kSessionState,
                 [&context](const json::value& params, rpc::CallContext&) -> rpc::MethodResult {
                   if (auto ok = proto::Fields(params).finish(); !ok) return ok.error();
                   json::array list;
                   for (const auto& info : context.sessions.list())
                     list.push_back(encode_info(info));
                   auto active = context.sessions.active();
                   return json::object{
                       {"active", active ? json::value(*active) : json::value(nullptr)},
                       {"warm", context.sessions.warm()},
                       {"sessions", std::move(list)}};
                 });
}

}  // namespace taskd::api
