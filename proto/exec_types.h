// The wire codec of exec.run (docs/protocol.md, section 6): params, the result, `output` events.
#pragma once

#include "common/command_spec.h"
#include "common/error.h"
#include "proto/params.h"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskd::proto {

inline constexpr std::uint64_t kMaxOutputLimit = 64 * 1024 * 1024;

struct ExecParams {
  CommandSpec command;     // argv from `cmd`, plus `args` appended
  std::string stdin_data;  // from `stdin` (text) or `stdin_base64`
  std::int64_t timeout_ms = 0;
  std::int64_t kill_grace_ms = 2000;
  int stop_signal = 15;
  std::uint64_t max_output_bytes = 1024 * 1024;
  bool stream = false;
  std::string request_key;
};

// What exec.run answers.
struct ExecOutput {
  std::string bytes;        // what was kept (head and tail)
  std::uint64_t total = 0;  // everything the command wrote
};
struct ExecResultView {
  std::string exec_id;
  std::string reason;
  std::optional<int> exit_code;
  std::optional<int> signal;
  bool timed_out = false;
  std::int64_t duration_ms = 0;
  std::int64_t pid = 0;
  ExecOutput stdout_output;
  ExecOutput stderr_output;
  std::string error;    // omitted when empty
  bool reused = false;  // omitted when false
};

Result<ExecParams> decode_exec_params(const boost::json::value& params);
boost::json::object encode_exec_result(const ExecResultView& result);
// The fields of an `output` event: text when the bytes are UTF-8, base64 otherwise.
boost::json::object encode_output_chunk(const std::string& exec_id, std::string_view stream,
                                        std::uint64_t offset, const std::string& bytes);

// Cuts one stream's output into `output` chunks that never split a UTF-8 character: reads end
// anywhere, so up to three bytes of an unfinished character wait for the next read. Output that
// is not UTF-8 anyway goes out as it comes (as base64).
class OutputChunker {
 public:
  struct Chunk {
    std::uint64_t offset = 0;  // in the stream
    std::string bytes;         // empty: nothing to send
  };
  // `data` was read at `offset`; returns what can be sent now.
  Chunk take(std::uint64_t offset, std::string_view data);
  // The stream ended: whatever was held back, as it is.
  Chunk rest();

 private:
  std::string carry_;
  std::uint64_t carry_offset_ = 0;
};

// What the reply to these params may need: both streams at their max_output_bytes, plus the
// rest. Read before decoding (the dispatcher reserves it), so bad params give the default.
std::size_t exec_reply_estimate(const boost::json::value& params);
// The params that identify a request_key's request: everything but `stream`.
std::string exec_fingerprint(const boost::json::value& params);

// Helpers shared with task specs: umask as "022" or an integer read as octal digits.
bool decode_umask(const boost::json::value& value, unsigned& out);

// The strings of a command that reach system calls. A NUL byte would silently cut them at the
// syscall, so it is refused (-32602 naming the field); so is an env name that is empty or has
// '=', and a numeric `user` that is not a valid uid ("4294967296" must not wrap to root).
// `argv_field` is the name the argv came under ("cmd", or a task's 1.1 "command").
void check_command_strings(Fields& fields, std::string_view argv_field, const CommandSpec& command);

}  // namespace taskd::proto
