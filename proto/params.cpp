#include "proto/params.h"

#include <algorithm>

namespace taskd::proto {

bool decode_value(const json::value& value, std::string& out) {
  const json::string* s = value.if_string();
  if (!s) return false;
  out.assign(s->data(), s->size());
  return true;
}

bool decode_value(const json::value& value, bool& out) {
  if (!value.is_bool()) return false;
  out = value.get_bool();
  return true;
}

bool decode_value(const json::value& value, double& out) {
  if (!value.is_number()) return false;
  out = value.to_number<double>();
  return true;
}

bool decode_value(const json::value& value, json::value& out) {
  out = value;
  return true;
}

bool decode_value(const json::value& value, std::map<std::string, std::string>& out) {
  const json::object* object = value.if_object();
  if (!object) return false;
  std::map<std::string, std::string> decoded;
  for (const auto& [key, item] : *object) {
    const json::string* s = item.if_string();
    if (!s) return false;
    decoded.emplace(std::string(key), std::string(*s));
  }
  out = std::move(decoded);
  return true;
}

Error invalid_params(std::string field, std::string message) {
  return make_error(ErrorCode::kInvalidParams, std::move(message)).with("field", std::move(field));
}

Result<std::string> decode_id_params(const json::value& params) {
  std::string id;
  Fields fields(params);
  fields.required("id", id);
  if (auto done = fields.finish(); !done) return done.error();
  return id;
}

Result<void> decode_no_params(const json::value& params) { return Fields(params).finish(); }

Fields::Fields(const json::value& params, std::string path) : path_(std::move(path)) {
  static const json::object kEmpty;
  if (params.is_null()) {
    object_ = &kEmpty;
  } else if (params.is_object()) {
    object_ = &params.get_object();
  } else {
    std::string where = path_.empty() ? "params" : path_;
    error_ = invalid_params(where, "'" + where + "' must be an object");
    object_ = &kEmpty;
  }
}

std::string Fields::field_path(std::string_view name) const {
  return path_.empty() ? std::string(name) : path_ + "." + std::string(name);
}

const json::value* Fields::lookup(std::string_view name) {
  seen_.push_back(name);
  return object_->if_contains(name);
}

void Fields::fail(std::string_view name, std::string_view why) {
  if (error_) return;  // the first problem is the one reported
  std::string field = field_path(name);
  error_ = invalid_params(field, "'" + field + "' " + std::string(why));
}

Result<void> Fields::finish() {
  if (error_) return *error_;
  for (const auto& [key, value] : *object_) {
    if (std::find(seen_.begin(), seen_.end(), std::string_view(key)) == seen_.end()) {
      std::string field = field_path(key);
      return invalid_params(field, "unknown field '" + field + "'");
    }
  }
  return {};
}

}  // namespace taskd::proto
