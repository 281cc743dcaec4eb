// The agent wire protocol (docs/agents.md) and the session.json format, behind a JSON-free
// interface so the session code never sees JSON. Agents read one JSON line per prompt on stdin
// and write JSON lines on stdout.
#pragma once

#include "common/error.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace taskd::proto {

struct AgentMessage {
  enum class Type { kOutput, kEnd, kReady, kOther };
  Type type = Type::kOther;
  std::string chunk;       // kOutput; for kOther the raw line, forwarded as output
  std::string usage_json;  // kEnd: the "usage" value as JSON text ("null" when absent)
};

// Never fails: anything that is not one of the known messages is kOther.
AgentMessage parse_agent_line(std::string_view line);
// {"type":"prompt","message":...} plus '\n'.
std::string encode_prompt_line(std::string_view message);

struct SessionTurn {
  std::string prompt;
  std::string output;
  std::string usage_json = "null";
  std::int64_t started_at_ms = 0;
  std::int64_t ended_at_ms = 0;
};

struct SessionRecord {
  std::string id;
  std::string model;
  std::string thinking_level;
  std::string working_folder;
  std::vector<std::string> agent;  // the command it runs with
  std::string user;                // session.open's `user`; empty: [sessions] user
  std::int64_t created_at_ms = 0;
  std::vector<SessionTurn> turns;
};

std::string encode_session_file(const SessionRecord& record);
Result<SessionRecord> decode_session_file(std::string_view text);

}  // namespace taskd::proto
