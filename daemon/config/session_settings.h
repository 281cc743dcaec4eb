// [sessions] settings (plain data, read from taskd.toml).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace taskd::sessions {

struct SessionSettings {
  std::string dir;                 // default DATA_DIR/sessions
  std::vector<std::string> agent;  // default agent command; a session may bring its own
  std::size_t max_warm = 8;        // live agents; more reaps the least recently used idle one
  std::int64_t switch_timeout_ms = 5000;
  std::int64_t stop_grace_ms = 2000;
  bool wait_ready_line = false;  // ready when the agent prints {"type":"ready"}, not at spawn
  std::string user;  // agents run as this user with its minimal environment; empty: taskd's

  bool operator==(const SessionSettings&) const = default;
};

}  // namespace taskd::sessions
