// Params and results of the programs.* methods, params of daemon.reload (docs/protocol.md).
// Results are plain structs of wire values (a state is its name and code) that the api fills
// from the supervision domain: proto sits below the daemon and never includes its headers.
#pragma once

#include "common/error.h"

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace taskd::proto {

struct NamesParams {
  std::vector<std::string> names;  // name, group:name, group:*, all
  bool wait = true;
  std::optional<std::int64_t> timeout_ms;
};

struct StatusParams {
  std::vector<std::string> names;  // empty: every process
};

struct SignalParams {
  std::vector<std::string> names;
  int signal = 0;
};

struct TailParams {
  std::string name;
  std::string stream = "stdout";
  std::optional<std::int64_t> offset;  // absent: the last `length` bytes; negative: from the end
  std::int64_t length = 1600;
};

struct InputParams {
  std::string name;  // one instance
  std::string data;  // written to the process's stdin pipe as is (UTF-8 text)
  bool eof = false;  // close the pipe after writing: the process reads end-of-file
};

struct ReloadParams {
  bool dry_run = false;
};

struct ProgramExit {
  bool signaled = false;
  int code = 0;  // exit code, or signal number when signaled
};

// One entry of programs.status's `processes`.
struct ProgramStatus {
  std::string name;
  std::string group;
  std::string state;   // "RUNNING"
  int state_code = 0;  // supervisord's: 20
  std::int64_t pid = 0;
  std::string description;
  std::int64_t start_ms = 0;
  std::int64_t stop_ms = 0;
  std::int64_t uptime_ms = 0;
  std::string spawn_error;
  int backoff = 0;
  std::uint64_t output_dropped_bytes = 0;
  std::string stdout_log;
  std::string stderr_log;
  bool autostart = true;
  int priority = 999;
  std::optional<ProgramExit> exit;  // how the last run ended: exit_code or exit_signal
};

// A name or pattern that failed: programs.status's `errors` entries.
struct NameError {
  std::string name;
  Error error;
};

struct StatusResult {
  std::vector<ProgramStatus> processes;
  std::vector<NameError> errors;
};

// One entry of the per-name `results` of start, stop, restart, signal and clear.
struct ProgramOutcome {
  std::string name;
  std::optional<Error> error;        // absent: ok
  std::optional<std::string> state;  // with pid, when the process exists
  std::int64_t pid = 0;
};

struct OutcomesResult {
  std::vector<ProgramOutcome> results;
};

struct InputResult {
  std::string name;
  std::size_t written = 0;
};

// `process` events (docs/protocol.md, events): state changes, output loss and recovery, orphans.
struct ProcessStateEvent {
  std::string name;
  std::string group;
  std::string from;  // state names, "STARTING"
  std::string to;
  std::int64_t pid = 0;
  std::string message;
  std::optional<ProgramExit> exit;
};

struct OutputLossEvent {
  std::string name;
  std::string group;
  std::string stream;  // "stdout" / "stderr"
  std::string path;
  bool resumed = false;             // output_resumed (else output_dropped)
  std::uint64_t dropped_bytes = 0;  // output_resumed
  std::string error;                // output_dropped
};

boost::json::object encode_process_state_event(const ProcessStateEvent& event);
// The event type is output_dropped or output_resumed: output_loss_event_type() says which.
boost::json::object encode_output_loss_event(const OutputLossEvent& event);
std::string_view output_loss_event_type(const OutputLossEvent& event);
// `status` is describe_wait_status's text ("exit status 0", "terminated by SIGKILL").
boost::json::object encode_orphan_event(std::int64_t pid, std::string_view status);

void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const ProgramStatus& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const StatusResult& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const OutcomesResult& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const InputResult& v);

inline constexpr std::int64_t kMaxTailLength = 1024 * 1024;

Result<NamesParams> decode_names_params(const boost::json::value& params, bool with_wait);
Result<StatusParams> decode_status_params(const boost::json::value& params);
Result<SignalParams> decode_signal_params(const boost::json::value& params);
Result<TailParams> decode_tail_params(const boost::json::value& params);
Result<InputParams> decode_input_params(const boost::json::value& params);
Result<ReloadParams> decode_reload_params(const boost::json::value& params);

}  // namespace taskd::proto
