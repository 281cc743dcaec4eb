#include "ctl/render.h"

#include <boost/json/serialize.hpp>

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
