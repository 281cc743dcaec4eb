// The wire codec of session.* (docs/protocol.md, section 8): params, the session object of
// replies, and the fields of `session` events. The agent's own line protocol is agent_protocol.h.
#pragma once

#include "common/error.h"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace taskd::proto {

struct SessionOpenParams {
  std::string id;
  std::optional<std::string> model;
  std::optional<std::string> thinking_level;
  std::optional<std::string> working_folder;
  std::vector<std::string> agent;
  std::optional<std::string> user;
};

struct SessionPromptParams {
  std::string message;
  std::optional<std::string> id;  // absent: the active session
};

// One session as session.open and session.state report it.
struct SessionView {
  std::string id;
  std::string state;
  std::int64_t pid = 0;
  std::int64_t last_activity_ms = 0;
  std::size_t turns = 0;
  bool turn_in_progress = false;
  std::string model;
  std::string thinking_level;
  std::string working_folder;
  std::string error;  // omitted when empty
};

// A `session` event; empty strings and turn 0 are left out.
struct SessionEventView {
  std::string type;
  std::string id;
  std::string code;
  std::string message;
  std::string errno_name;
  std::string reason;
  std::string chunk;                // agent_output only
  std::string usage_json = "null";  // agent_end only
  int turn = 0;
};

Result<SessionOpenParams> decode_session_open_params(const boost::json::value& params);
Result<SessionPromptParams> decode_session_prompt_params(const boost::json::value& params);

boost::json::object encode_session(const SessionView& session);
// session.state: `active` is null when no session is active.
boost::json::object encode_session_state(const std::optional<std::string>& active, std::size_t warm,
                                         const std::vector<SessionView>& sessions);
boost::json::object encode_session_switching(const std::string& id);
boost::json::object encode_prompt_sent(const std::string& id, int turn);
boost::json::object encode_session_stopped(const std::string& id);
boost::json::object encode_session_event(const SessionEventView& event);

}  // namespace taskd::proto
