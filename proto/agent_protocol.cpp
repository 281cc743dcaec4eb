#include "proto/agent_protocol.h"

#include "proto/params.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>

namespace taskd::proto {
namespace {

// A number too large for a double (1e400) reads as infinity, which Boost.JSON writes as
// `Infinity`: not JSON. Written as null instead, as JSON.stringify does.
void null_non_finite(json::value& value) {
  if (value.is_double() && !std::isfinite(value.get_double())) {
    value = nullptr;
  } else if (json::array* array = value.if_array()) {
    for (json::value& item : *array) null_non_finite(item);
  } else if (json::object* object = value.if_object()) {
    for (auto& entry : *object) null_non_finite(entry.value());
  }
}

std::string serialize_finite(json::value value) {
  null_non_finite(value);
  return json::serialize(value);
}

}  // namespace

AgentMessage parse_agent_line(std::string_view line) {
  AgentMessage message;
  message.chunk = std::string(line) + "\n";
  boost::system::error_code ec;
  json::value value = json::parse(line, ec);
  const json::object* object = ec ? nullptr : value.if_object();
  const json::value* type = object ? object->if_contains("type") : nullptr;
  if (!type || !type->is_string()) return message;
  if (type->get_string() == "output") {
    const json::value* chunk = object->if_contains("chunk");
    if (!chunk || !chunk->is_string()) return message;
    message.type = AgentMessage::Type::kOutput;
    message.chunk = std::string(chunk->get_string());
  } else if (type->get_string() == "end") {
    message.type = AgentMessage::Type::kEnd;
    const json::value* usage = object->if_contains("usage");
    message.usage_json = usage ? serialize_finite(*usage) : "null";
    message.chunk.clear();
  } else if (type->get_string() == "ready") {
    message.type = AgentMessage::Type::kReady;
    message.chunk.clear();
  }
  return message;
}

std::string encode_prompt_line(std::string_view message) {
  return json::serialize(json::object{{"type", "prompt"}, {"message", message}}) + "\n";
}

std::string encode_session_file(const SessionRecord& record) {
  json::array turns;
  for (const auto& turn : record.turns) {
    boost::system::error_code ec;
    json::value usage = json::parse(turn.usage_json, ec);
    turns.push_back(json::object{{"prompt", turn.prompt},
                                 {"output", turn.output},
                                 {"usage", ec ? json::value(nullptr) : usage},
                                 {"started_at_ms", turn.started_at_ms},
                                 {"ended_at_ms", turn.ended_at_ms}});
  }
  json::array agent;
  for (const auto& word : record.agent) agent.emplace_back(word);
  json::object file{{"version", 1},
                    {"id", record.id},
                    {"model", record.model},
                    {"thinking_level", record.thinking_level},
                    {"working_folder", record.working_folder},
                    {"agent", std::move(agent)},
                    {"user", record.user},
                    {"created_at_ms", record.created_at_ms},
                    {"turns", std::move(turns)}};
  return json::serialize(file) + "\n";
}

Result<SessionRecord> decode_session_file(std::string_view text) {
  boost::system::error_code ec;
  json::value file = json::parse(text, ec);
  if (ec) return make_error(ErrorCode::kIo, "session.json is not JSON: " + ec.message());
  SessionRecord record;
  Fields fields(file);
  int version = 0;
  json::value turns;
  fields.required("version", version).required("id", record.id).optional("model", record.model);
  fields.optional("thinking_level", record.thinking_level)
      .optional("working_folder", record.working_folder);
  fields.optional("agent", record.agent)
      .optional("user", record.user)
      .optional("created_at_ms", record.created_at_ms)
      .optional("turns", turns);
  if (auto done = fields.finish(); !done) return done.error();
  if (version != 1)
    return make_error(ErrorCode::kIo,
                      "session.json version " + std::to_string(version) + " is not supported");
  if (const json::array* list = turns.if_array()) {
    for (const auto& item : *list) {
      SessionTurn turn;
      Fields t(item, "turns[]");
      json::value usage;
      t.optional("prompt", turn.prompt).optional("output", turn.output).optional("usage", usage);
      t.optional("started_at_ms", turn.started_at_ms).optional("ended_at_ms", turn.ended_at_ms);
      if (auto done = t.finish(); !done) return done.error();
      turn.usage_json = serialize_finite(std::move(usage));
      record.turns.push_back(std::move(turn));
    }
  }
  return record;
}

}  // namespace taskd::proto
