// Typed decoding of request params with errors that name the offending field ("-32602:
// 'timeout_ms' must be a non-negative integer"). Unknown fields are rejected so typos surface.
//
//   Fields f(params);                 // params must be an object, or absent
//   f.required("id", p.id).optional("timeout_ms", p.timeout_ms);
//   if (auto done = f.finish(); !done) return done.error();
#pragma once

#include "common/duration_limit.h"
#include "common/error.h"

#include <boost/json/value.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace taskd::proto {

namespace json = boost::json;

// Leaf decoders: return false when `value` has the wrong type or range.
bool decode_value(const json::value& value, std::string& out);
bool decode_value(const json::value& value, bool& out);
bool decode_value(const json::value& value, double& out);
bool decode_value(const json::value& value, json::value& out);
bool decode_value(const json::value& value, std::map<std::string, std::string>& out);

template <class Int>
requires std::is_integral_v<Int> &&
    (!std::is_same_v<Int, bool>)bool decode_value(const json::value& value, Int& out) {
  if (value.is_int64()) {
    std::int64_t v = value.get_int64();
    if constexpr (std::is_unsigned_v<Int>) {
      if (v < 0 || static_cast<std::uint64_t>(v) > std::numeric_limits<Int>::max()) return false;
    } else {
      if (v < std::numeric_limits<Int>::min() || v > std::numeric_limits<Int>::max()) return false;
    }
    out = static_cast<Int>(v);
    return true;
  }
  if (value.is_uint64()) {
    std::uint64_t v = value.get_uint64();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<Int>::max())) return false;
    out = static_cast<Int>(v);
    return true;
  }
  return false;
}

template <class T>
bool decode_value(const json::value& value, std::vector<T>& out) {
  const json::array* array = value.if_array();
  if (!array) return false;
  std::vector<T> decoded(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    if (!decode_value((*array)[i], decoded[i])) return false;
  }
  out = std::move(decoded);
  return true;
}

template <class T>
bool decode_value(const json::value& value, std::optional<T>& out) {
  T decoded{};
  if (!decode_value(value, decoded)) return false;
  out = std::move(decoded);
  return true;
}

// Words for "must be ..." in error messages.
template <class T>
constexpr std::string_view expected_kind() {
  if constexpr (std::is_same_v<T, std::string>)
    return "a string";
  else if constexpr (std::is_same_v<T, bool>)
    return "a boolean";
  else if constexpr (std::is_same_v<T, double>)
    return "a number";
  else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>)
    return "a non-negative integer in range";
  else if constexpr (std::is_integral_v<T>)
    return "an integer in range";
  else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>)
    return "an object of strings";
  else if constexpr (std::is_same_v<T, std::vector<std::string>>)
    return "an array of strings";
  else
    return "of the documented type";
}

class Fields {
 public:
  // `path` prefixes field names in messages ("spec.setup[2]").
  explicit Fields(const json::value& params, std::string path = {});

  template <class T>
  Fields& required(std::string_view name, T& out) {
    const json::value* value = lookup(name);
    if (!value) {
      fail(name, "is required");
    } else if (!decode_value(*value, out)) {
      fail(name, std::string("must be ") + std::string(expected_kind<T>()));
    }
    return *this;
  }

  // Leaves `out` unchanged when the field is absent or null.
  template <class T>
  Fields& optional(std::string_view name, T& out) {
    const json::value* value = lookup(name);
    if (value && !value->is_null() && !decode_value(*value, out)) {
      fail(name, std::string("must be ") + std::string(expected_kind<T>()));
    }
    return *this;
  }

  // Records a custom validation failure for `name`.
  void fail(std::string_view name, std::string_view why);
  bool ok() const { return !error_; }
  const json::object* object() const { return object_; }
  std::string field_path(std::string_view name) const;

  // The first error, or an error for a field nobody asked for.
  Result<void> finish();

 private:
  const json::value* lookup(std::string_view name);

  const json::object* object_ = nullptr;
  std::string path_;
  std::vector<std::string_view> seen_;
  std::optional<Error> error_;
};

Error invalid_params(std::string field, std::string message);

// {"id": "..."} and nothing else: tasks.get/poll, session.switch/stop.
Result<std::string> decode_id_params(const json::value& params);
// Absent or {}: methods that take no params.
Result<void> decode_no_params(const json::value& params);

// How a duration field outside 0..kMaxDurationMs is refused.
inline constexpr std::string_view kDurationRule = "must be from 0 to 2592000000 ms (30 days)";

}  // namespace taskd::proto
