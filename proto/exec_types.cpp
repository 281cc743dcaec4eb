#include "proto/exec_types.h"

#include "common/ids.h"
#include "common/signals.h"
#include "common/text_encoding.h"
#include "proto/params.h"

#include <boost/json/serialize.hpp>

namespace taskd::proto {

bool decode_umask(const json::value& value, unsigned& out) {
  std::string digits;
  if (value.is_string()) digits = std::string(value.get_string());
  if (value.is_int64() && value.get_int64() >= 0) digits = std::to_string(value.get_int64());
  if (digits.starts_with("0o")) digits.erase(0, 2);
  if (digits.empty() || digits.size() > 4) return false;
  unsigned parsed = 0;
  for (char c : digits) {
    if (c < '0' || c > '7') return false;
    parsed = parsed * 8 + static_cast<unsigned>(c - '0');
  }
  if (parsed > 0777) return false;
  out = parsed;
  return true;
}

void check_command_strings(Fields& fields, std::string_view argv_field,
                           const CommandSpec& command) {
  auto has_nul = [](std::string_view text) { return text.find('\0') != std::string_view::npos; };
  for (const auto& word : command.argv) {
    if (has_nul(word)) fields.fail(argv_field, "must not contain NUL bytes");
  }
  for (const auto& [key, value] : command.env) {
    if (key.empty() || key.find('=') != std::string::npos || has_nul(key) || has_nul(value)) {
      fields.fail("env", "names must be non-empty without '=' and nothing may contain NUL");
    }
  }
  if (has_nul(command.cwd)) fields.fail("cwd", "must not contain NUL bytes");
  if (has_nul(command.user)) fields.fail("user", "must not contain NUL bytes");
  if (is_out_of_range_id(command.user)) fields.fail("user", "is not a valid uid (0 to 4294967294)");
}

Result<ExecParams> decode_exec_params(const json::value& params) {
  ExecParams decoded;
  Fields fields(params);
  std::vector<std::string> args;
  std::optional<std::string> stdin_text, stdin_base64;
  json::value umask, stop_signal;
  CommandSpec& command = decoded.command;
  fields.required("cmd", command.argv)
      .optional("args", args)
      .optional("env", command.env)
      .optional("cwd", command.cwd)
      .optional("umask", umask)
      .optional("user", command.user)
      .optional("stdin", stdin_text)
      .optional("stdin_base64", stdin_base64)
      .optional("timeout_ms", decoded.timeout_ms)
      .optional("kill_grace_ms", decoded.kill_grace_ms)
      .optional("stop_signal", stop_signal)
      .optional("max_output_bytes", decoded.max_output_bytes)
      .optional("stream", decoded.stream)
      .optional("request_key", decoded.request_key);
  if (!fields.ok()) return fields.finish().error();
  if (command.argv.empty() || command.argv.front().empty())
    fields.fail("cmd", "must name a program to run");
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  check_command_strings(fields, "cmd", command);
  if (!umask.is_null()) {
    unsigned value = 0;
    if (!decode_umask(umask, value)) fields.fail("umask", "must be an octal umask such as \"022\"");
    command.umask = value;
  }
  if (!stop_signal.is_null()) {
    std::optional<int> signal;
    if (stop_signal.is_string()) signal = parse_signal(stop_signal.get_string());
    if (stop_signal.is_int64()) signal = parse_signal(std::to_string(stop_signal.get_int64()));
    if (!signal) fields.fail("stop_signal", "must be a signal name or number");
    decoded.stop_signal = signal.value_or(15);
  }
  if (stdin_text && stdin_base64)
    fields.fail("stdin", "give either stdin or stdin_base64, not both");
  if (stdin_text) decoded.stdin_data = *stdin_text;
  if (stdin_base64) {
    auto bytes = base64_decode(*stdin_base64);
    if (!bytes) fields.fail("stdin_base64", "must be valid base64");
    decoded.stdin_data = bytes.value_or("");
  }
  if (!is_valid_duration_ms(decoded.timeout_ms)) fields.fail("timeout_ms", kDurationRule);
  if (!is_valid_duration_ms(decoded.kill_grace_ms)) fields.fail("kill_grace_ms", kDurationRule);
  if (decoded.max_output_bytes == 0 || decoded.max_output_bytes > kMaxOutputLimit) {
    fields.fail("max_output_bytes", "must be from 1 to 67108864");
  }
  if (decoded.request_key.size() > 256) fields.fail("request_key", "must be at most 256 bytes");
  if (auto done = fields.finish(); !done) return done.error();
  return decoded;
}

namespace {

// Output as JSON: text when it is UTF-8, base64 otherwise.
void put_output(json::object& out, std::string_view name, const ExecOutput& output) {
  bool text = is_valid_utf8(output.bytes);
  out.emplace(name, text ? output.bytes : base64_encode(output.bytes));
  out.emplace(std::string(name) + "_encoding", text ? "utf-8" : "base64");
  out.emplace(std::string(name) + "_bytes", output.total);
  out.emplace(std::string(name) + "_truncated_bytes", output.total - output.bytes.size());
}

}  // namespace

json::object encode_exec_result(const ExecResultView& r) {
  json::object out{{"exec_id", r.exec_id},
                   {"reason", r.reason},
                   {"exit_code", r.exit_code ? json::value(*r.exit_code) : json::value(nullptr)},
                   {"signal", r.signal ? json::value(*r.signal) : json::value(nullptr)},
                   {"timed_out", r.timed_out},
                   {"duration_ms", r.duration_ms},
                   {"pid", r.pid}};
  put_output(out, "stdout", r.stdout_output);
  put_output(out, "stderr", r.stderr_output);
  if (!r.error.empty()) out.emplace("error", r.error);
  if (r.reused) out.emplace("reused", true);
  return out;
}

json::object encode_output_chunk(const std::string& exec_id, std::string_view stream,
                                 std::uint64_t offset, const std::string& bytes) {
  bool text = is_valid_utf8(bytes);
  return json::object{{"exec_id", exec_id},
                      {"stream", stream},
                      {"offset", offset},
                      {"data", text ? bytes : base64_encode(bytes)},
                      {"encoding", text ? "utf-8" : "base64"}};
}

OutputChunker::Chunk OutputChunker::take(std::uint64_t offset, std::string_view data) {
  Chunk chunk{offset - carry_.size(), carry_ + std::string(data)};
  carry_.clear();
  std::size_t whole = utf8_complete_prefix(chunk.bytes);
  if (whole < chunk.bytes.size() && is_valid_utf8(std::string_view(chunk.bytes).substr(0, whole))) {
    carry_ = chunk.bytes.substr(whole);
    carry_offset_ = chunk.offset + whole;
    chunk.bytes.resize(whole);
  }
  return chunk;
}

OutputChunker::Chunk OutputChunker::rest() {
  Chunk chunk{carry_offset_, std::move(carry_)};
  carry_.clear();
  return chunk;
}

std::size_t exec_reply_estimate(const json::value& params) {
  std::uint64_t max_output = ExecParams{}.max_output_bytes;
  const json::object* object = params.if_object();
  const json::value* asked = object ? object->if_contains("max_output_bytes") : nullptr;
  std::uint64_t value = 0;
  if (asked && decode_value(*asked, value) && value > 0 && value <= kMaxOutputLimit) {
    max_output = value;
  }
  return static_cast<std::size_t>(2 * max_output + 4096);
}

std::string exec_fingerprint(const json::value& params) {
  json::object copy = params.as_object();
  copy.erase("stream");
  return json::serialize(copy);
}

}  // namespace taskd::proto
