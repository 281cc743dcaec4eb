// Text output helpers shared by taskctl's commands (tables, durations, JSON for --json).
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>

namespace taskd::ctl {

// "1:02:03" for hours, "0:00:05" below an hour; days as "2 days, 1:02:03" like supervisorctl.
std::string format_uptime(std::int64_t milliseconds);
// One JSON document on one line, as scripts want it.
std::string to_json_line(const boost::json::value& value);

// One readable line (no '\n') for an `event` notification's params:
//   2026-11-29 18:28:34.373 process.state web: STARTING -> RUNNING (pid 4242)
// Topics and types taskctl does not know yet print their scalar fields as key=value.
std::string format_event(const boost::json::value& params);
// "2026-11-29 18:28:34.373" in local time.
std::string format_time_ms(std::int64_t unix_ms);

// Field accessors that tolerate a missing or mistyped field (the daemon may be newer).
std::string string_field(const boost::json::value& object, std::string_view key);
std::int64_t int_field(const boost::json::value& object, std::string_view key);

}  // namespace taskd::ctl
