#include "daemon/config/toml_section.h"

#include <algorithm>
#include <cmath>

namespace taskd::config {
namespace {

bool parse_octal_digits(std::string_view text, unsigned& out) {
  if (text.starts_with("0o")) text.remove_prefix(2);
  if (text.empty() || text.size() > 6) return false;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return false;
    value = value * 8 + static_cast<unsigned>(c - '0');
  }
  out = value;
  return true;
}

}  // namespace

Error config_error(const std::string& file, int line, std::string_view message) {
  return make_error(ErrorCode::kInvalidConfig,
                    file + ":" + std::to_string(line) + ": " + std::string(message));
}

TomlSection::TomlSection(const toml::table& table, const std::string& file, std::string prefix)
    : table_(table), file_(file), prefix_(std::move(prefix)) {}

std::string TomlSection::key_path(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

int TomlSection::line() const { return static_cast<int>(table_.source().begin.line); }

void TomlSection::fail(const toml::node& at, std::string_view key, std::string_view why) {
  if (error_) return;
  int line = static_cast<int>(at.source().begin.line);
  error_ = config_error(file_, line ? line : this->line(), key_path(key) + ": " + std::string(why));
}

void TomlSection::fail_here(std::string_view key, std::string_view why) {
  if (error_) return;
  error_ = config_error(file_, line(), key_path(key) + ": " + std::string(why));
}

const toml::node* TomlSection::node(std::string_view key) {
  seen_.emplace_back(key);
  return table_.get(key);
}

void TomlSection::string(std::string_view key, std::string& out) {
  const toml::node* n = node(key);
  if (!n) return;
  if (auto s = n->value<std::string>(); s && n->is_string()) {
    out = *s;
  } else {
    fail(*n, key, "must be a string");
  }
}

void TomlSection::boolean(std::string_view key, bool& out) {
  const toml::node* n = node(key);
  if (!n) return;
  if (!n->is_boolean()) return fail(*n, key, "must be true or false");
  out = n->as_boolean()->get();
}

void TomlSection::integer(std::string_view key, std::int64_t& out, std::int64_t min,
                          std::int64_t max) {
  const toml::node* n = node(key);
  if (!n) return;
  if (!n->is_integer() || n->as_integer()->get() < min || n->as_integer()->get() > max) {
    return fail(*n, key,
                "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  out = n->as_integer()->get();
}

void TomlSection::integer(std::string_view key, int& out, int min, int max) {
  std::int64_t value = out;
  integer(key, value, min, max);
  out = static_cast<int>(value);
}

void TomlSection::seconds(std::string_view key, std::int64_t& out_ms) {
  const toml::node* n = node(key);
  if (!n) return;
  constexpr double kMaxSeconds = 366.0 * 24 * 3600;
  double seconds = -1;
  if (n->is_integer()) seconds = static_cast<double>(n->as_integer()->get());
  if (n->is_floating_point()) seconds = n->as_floating_point()->get();
  if (!(seconds >= 0 && seconds <= kMaxSeconds)) {
    return fail(*n, key, "must be a number of seconds from 0 to 31622400");
  }
  out_ms = static_cast<std::int64_t>(std::llround(seconds * 1000));
}

void TomlSection::octal(std::string_view key, unsigned& out, unsigned max) {
  const toml::node* n = node(key);
  if (!n) return;
  unsigned value = 0;
  bool ok = false;
  if (n->is_string()) {
    ok = parse_octal_digits(n->as_string()->get(), value);
  } else if (n->is_integer()) {
    const auto& integer = *n->as_integer();
    if (!!(integer.flags() & toml::value_flags::format_as_octal)) {
      ok = integer.get() >= 0 && integer.get() <= 07777;
      value = static_cast<unsigned>(integer.get());
    } else if (integer.get() >= 0) {
      ok = parse_octal_digits(std::to_string(integer.get()), value);
    }
  }
  if (!ok || value > max) {
    return fail(*n, key, "must be an octal mode such as \"022\" or 0o022");
  }
  out = value;
}

Result<void> TomlSection::finish() {
  if (error_) return *error_;
  for (const auto& [key, value] : table_) {
    if (std::find(seen_.begin(), seen_.end(), key.str()) == seen_.end()) {
      int line = static_cast<int>(key.source().begin.line);
      return config_error(file_, line ? line : this->line(), key_path(key.str()) + ": unknown key");
    }
  }
  return {};
}

}  // namespace taskd::config
