// Reads one TOML table with type and range checks; every error names file, line and key
// ("etc/taskd.toml:12: programs.web.numprocs: must be an integer from 1 to 1000").
// Only the config loader includes this (toml++ is heavy).
#pragma once

#include "common/error.h"

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskd::config {

class TomlSection {
 public:
  TomlSection(const toml::table& table, const std::string& file, std::string prefix);

  // Absent keys leave `out` unchanged; present keys of the wrong type or range record an error.
  void string(std::string_view key, std::string& out);
  void boolean(std::string_view key, bool& out);
  void integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max);
  void integer(std::string_view key, int& out, int min, int max);
  // Seconds as an integer or a float ("starttime = 0.5"), stored as milliseconds.
  void seconds(std::string_view key, std::int64_t& out_ms);
  // A file mode or umask: "022" / "0o022" strings, 0o22 octal integers, or decimal integers
  // whose digits are read as octal (22 means 022), as supervisord reads umask.
  void octal(std::string_view key, unsigned& out, unsigned max);
  // Marks the key as known and returns its node, or nullptr when absent.
  const toml::node* node(std::string_view key);

  void fail(const toml::node& at, std::string_view key, std::string_view why);
  // An error at the table's own line (for a required key that is missing).
  void fail_here(std::string_view key, std::string_view why);
  bool ok() const { return !error_; }
  std::string key_path(std::string_view key) const;
  int line() const;

  // The first error, else an error for the first unknown key.
  Result<void> finish();

 private:
  const toml::table& table_;
  const std::string& file_;
  std::string prefix_;
  std::vector<std::string> seen_;
  std::optional<Error> error_;
};

Error config_error(const std::string& file, int line, std::string_view message);

}  // namespace taskd::config
