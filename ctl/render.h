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

// Field accessors that tolerate a missing or mistyped field (the daemon may be newer).
std::string string_field(const boost::json::value& object, std::string_view key);
std::int64_t int_field(const boost::json::value& object, std::string_view key);

}  // namespace taskd::ctl
