// Params of exec.run (docs/protocol.md); the result is encoded by daemon/api/exec_methods.cpp.
#pragma once

#include "common/error.h"
#include "proto/params.h"

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace taskd::proto {

inline constexpr std::uint64_t kMaxOutputLimit = 64 * 1024 * 1024;

struct ExecParams {
  std::vector<std::string> cmd;  // plus `args`, appended
  std::map<std::string, std::string> env;
  std::string cwd;
  std::optional<unsigned> umask;
  std::string user;
  std::string stdin_data;  // from `stdin` (text) or `stdin_base64`
  std::int64_t timeout_ms = 0;
  std::int64_t kill_grace_ms = 2000;
  int stop_signal = 15;
  std::uint64_t max_output_bytes = 1024 * 1024;
  bool stream = false;
  std::string request_key;
};

Result<ExecParams> decode_exec_params(const boost::json::value& params);

// Helpers shared with task specs: umask as "022" or an integer read as octal digits.
bool decode_umask(const boost::json::value& value, unsigned& out);

// The strings of a command that reach system calls. A NUL byte would silently cut them at the
// syscall, so it is refused (-32602 naming the field); so is an env name that is empty or has
// '=', and a numeric `user` that is not a valid uid ("4294967296" must not wrap to root).
struct CommandStrings {
  std::string_view argv_field;  // "cmd" or "command"
  const std::vector<std::string>& argv;
  const std::map<std::string, std::string>& env;
  const std::string& cwd;
  const std::string& user;
};
void check_command_strings(Fields& fields, const CommandStrings& command);

}  // namespace taskd::proto
