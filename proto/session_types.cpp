#include "proto/session_types.h"

#include "common/wall_time.h"
#include "proto/params.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

namespace taskd::proto {

Result<SessionOpenParams> decode_session_open_params(const json::value& params) {
  SessionOpenParams decoded;
  Fields fields(params);
  fields.required("id", decoded.id)
      .optional("model", decoded.model)
      .optional("thinking_level", decoded.thinking_level)
      .optional("working_folder", decoded.working_folder)
      .optional("agent", decoded.agent)
      .optional("user", decoded.user);
  if (auto done = fields.finish(); !done) return done.error();
  return decoded;
}

Result<SessionPromptParams> decode_session_prompt_params(const json::value& params) {
  SessionPromptParams decoded;
  Fields fields(params);
  fields.required("message", decoded.message).optional("id", decoded.id);
  if (auto done = fields.finish(); !done) return done.error();
  return decoded;
}

json::object encode_session(const SessionView& s) {
  json::object out{{"id", s.id},
                   {"state", s.state},
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

json::object encode_session_state(const std::optional<std::string>& active, std::size_t warm,
                                  const std::vector<SessionView>& sessions) {
  json::array list;
  for (const auto& session : sessions) list.push_back(encode_session(session));
  return json::object{{"active", active ? json::value(*active) : json::value(nullptr)},
                      {"warm", warm},
                      {"sessions", std::move(list)}};
}

json::object encode_session_switching(const std::string& id) {
  return json::object{{"id", id}, {"status", "switching"}};
}

json::object encode_prompt_sent(const std::string& id, int turn) {
  return json::object{{"id", id}, {"turn", turn}, {"status", "sent"}};
}

json::object encode_session_stopped(const std::string& id) {
  return json::object{{"id", id}, {"state", "stopped"}};
}

json::object encode_session_event(const SessionEventView& event) {
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
  return fields;
}

}  // namespace taskd::proto
