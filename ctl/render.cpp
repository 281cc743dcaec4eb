#include "ctl/render.h"

#include <boost/json/serialize.hpp>

#include "common/signals.h"

#include <time.h>

#include <cstdio>

namespace taskd::ctl {
namespace json = boost::json;

std::string format_uptime(std::int64_t milliseconds) {
  std::int64_t seconds = milliseconds / 1000;
  std::int64_t days = seconds / 86400;
  seconds %= 86400;
  char clock[32];
  std::snprintf(clock, sizeof clock, "%lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  if (days == 0) return clock;
  return std::to_string(days) + (days == 1 ? " day, " : " days, ") + clock;
}

std::string to_json_line(const json::value& value) { return json::serialize(value); }

std::string string_field(const json::value& object, std::string_view key) {
  const json::object* o = object.if_object();
  const json::value* v = o ? o->if_contains(key) : nullptr;
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t int_field(const json::value& object, std::string_view key) {
  const json::object* o = object.if_object();
  const json::value* v = o ? o->if_contains(key) : nullptr;
  if (v && v->is_int64()) return v->get_int64();
  if (v && v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  return 0;
}

}  // namespace taskd::ctl

namespace taskd::ctl {
namespace {

std::string join(const json::value& names) {
  std::string joined;
  if (!names.is_array()) return joined;
  for (const auto& name : names.get_array()) {
    if (!joined.empty()) joined += ", ";
    joined += name.is_string() ? std::string(name.get_string()) : json::serialize(name);
  }
  return joined;
}

std::string process_state(const json::object& e) {
  std::string text =
      string_field(e, "name") + ": " + string_field(e, "from") + " -> " + string_field(e, "to");
  std::string details;
  if (std::int64_t pid = int_field(e, "pid"); pid > 0) details = "pid " + std::to_string(pid);
  if (e.contains("exit_code")) {
    details += (details.empty() ? "" : ", ") + std::string("exit status ") +
               std::to_string(int_field(e, "exit_code"));
  } else if (e.contains("exit_signal")) {
    details += (details.empty() ? "" : ", ") + std::string("terminated by ") +
               signal_name(static_cast<int>(int_field(e, "exit_signal")));
  }
  return details.empty() ? text : text + " (" + details + ")";
}

std::string daemon_reload(const json::object& e) {
  std::string text;
  for (const char* key : {"added", "changed", "removed"}) {
    const json::value* names = e.if_contains(key);
    if (!names || !names->is_array() || names->get_array().empty()) continue;
    text += std::string(text.empty() ? " " : "; ") + key + " " + join(*names);
  }
  return text.empty() ? " no changes" : text;
}

// Scalars as key=value (strings with blanks JSON-quoted), arrays and objects as compact JSON.
std::string generic_fields(const json::object& e) {
  std::string text;
  for (const auto& [key, value] : e) {
    if (key == "topic" || key == "type" || key == "seq" || key == "time_ms") continue;
    std::string shown = json::serialize(value);
    if (value.is_string()) {
      std::string_view raw = value.get_string();
      if (!raw.empty() && raw.find_first_of(" \t\n\"=") == std::string_view::npos) shown = raw;
    }
    text += " " + std::string(key) + "=" + shown;
  }
  return text;
}

}  // namespace

std::string format_time_ms(std::int64_t unix_ms) {
  time_t seconds = static_cast<time_t>(unix_ms / 1000);
  struct tm local {};
  ::localtime_r(&seconds, &local);
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d.%03d", local.tm_year + 1900,
                local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return text;
}

std::string format_event(const json::value& params) {
  const json::object* e = params.if_object();
  if (!e) return "event " + json::serialize(params);
  std::string topic = string_field(params, "topic");
  std::string type = string_field(params, "type");
  std::string line = format_time_ms(int_field(params, "time_ms")) + " " + topic + "." + type;
  if (topic == "process" && type == "state") return line + " " + process_state(*e);
  if (topic == "process" && type == "orphan") {
    return line + " pid " + std::to_string(int_field(params, "pid")) + " (" +
           string_field(params, "status") + ")";
  }
  if (topic == "daemon" && type == "reload") return line + daemon_reload(*e);
  return line + generic_fields(*e);
}

}  // namespace taskd::ctl
