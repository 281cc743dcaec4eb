// session.open / switch / prompt / state / stop, and `session` events.
#include "daemon/api/api.h"

#include "common/log_failure.h"
#include "daemon/rpc/dispatcher.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/rpc/rpc_connection.h"
#include "daemon/sessions/session_manager.h"
#include "proto/methods.h"
#include "proto/params.h"
#include "proto/session_types.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

namespace taskd::api {
namespace asio = boost::asio;
namespace json = boost::json;
using sessions::SessionInfo;

namespace {

proto::SessionView view_of(const SessionInfo& s) {
  return proto::SessionView{s.id,
                            std::string(sessions::session_state_name(s.state)),
                            s.pid,
                            s.last_activity_ms,
                            s.turns,
                            s.turn_in_progress,
                            s.model,
                            s.thinking_level,
                            s.working_folder,
                            s.error};
}

json::object encode_info(const SessionInfo& s) { return proto::encode_session(view_of(s)); }

asio::awaitable<rpc::MethodResult> open_session(ApiContext& context, json::value params) {
  auto decoded = proto::decode_session_open_params(params);
  if (!decoded) co_return decoded.error();
  proto::SessionOpenParams& p = *decoded;
  sessions::OpenRequest request{std::move(p.id),
                                std::move(p.model),
                                std::move(p.thinking_level),
                                std::move(p.working_folder),
                                std::move(p.agent),
                                std::move(p.user)};
  auto opened = co_await context.sessions.open(std::move(request));
  if (!opened) co_return opened.error();
  json::object out = encode_info(opened->info);
  out.emplace("mode", opened->mode);
  co_return out;
}

asio::awaitable<rpc::MethodResult> stop_session(ApiContext& context, json::value params) {
  auto id = proto::decode_id_params(params);
  if (!id) co_return id.error();
  auto stopped = co_await context.sessions.stop(*id);
  if (!stopped) co_return stopped.error();
  co_return proto::encode_session_stopped(*id);
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
    json::object fields = proto::encode_session_event(
        {event.type, event.id, event.code, event.message, event.errno_name, event.reason,
         event.chunk, event.usage_json, event.turn});
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
                   auto id = proto::decode_id_params(params);
                   if (!id) return id.error();
                   if (auto allowed = context.sessions.check_switch(*id); !allowed)
                     return allowed.error();
                   // Posted: the "switching" reply is queued before task_switch_started and
                   // task_ready.
                   asio::post(context.io, [&context, target = *id] {
                     asio::co_spawn(context.io, context.sessions.finish_switch(target),
                                    LogFailure(LogChannel::kSess, "session switch"));
                   });
                   return proto::encode_session_switching(*id);
                 });
  dispatcher.add(
      proto::method::kSessionPrompt,
      [&context](const json::value& params, rpc::CallContext& call) -> rpc::MethodResult {
        auto decoded = proto::decode_session_prompt_params(params);
        if (!decoded) return decoded.error();
        auto turn = context.sessions.prompt(decoded->message, decoded->id);
        if (!turn) return turn.error();
        std::string active = *context.sessions.active();
        context.prompt_routes.set(active, call.connection);
        return proto::encode_prompt_sent(active, *turn);
      });
  dispatcher.add(proto::method::kSessionState,
                 [&context](const json::value& params, rpc::CallContext&) -> rpc::MethodResult {
                   if (auto ok = proto::decode_no_params(params); !ok) return ok.error();
                   std::vector<proto::SessionView> list;
                   for (const auto& info : context.sessions.list()) list.push_back(view_of(info));
                   return proto::encode_session_state(context.sessions.active(),
                                                      context.sessions.warm(), list);
                 });
}

}  // namespace taskd::api
