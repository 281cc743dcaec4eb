// Fuzzes the params decoding of every method. Input: the method name, a newline, then the params
// as JSON ("exec.run\n{\"cmd\":[\"true\"]}"); without a newline the params are absent. Each method
// goes to the decoder the daemon's api layer calls for it (proto/*_types; task.json is
// daemon/tasks/task_file).
// A decoder must either fail with -32602 naming a field, or give values inside the documented
// ranges; a decoded task spec must survive task.json (encode, decode) unchanged.
//
// The pseudo-method "@task.json" takes the rest of the input as a task.json file instead.
#include "common/ids.h"
#include "daemon/tasks/path_policy.h"
#include "daemon/tasks/task_file.h"
#include "fuzz_check.h"
#include "proto/daemon_types.h"
#include "proto/exec_types.h"
#include "proto/methods.h"
#include "proto/params.h"
#include "proto/programs_types.h"
#include "proto/session_types.h"
#include "proto/task_types.h"

#include <boost/json/parse.hpp>

#include <csignal>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace {

namespace json = boost::json;
namespace method = taskd::proto::method;
using taskd::Error;
using taskd::ErrorCode;
using taskd::Result;
using Decoder = std::function<void(const json::value&)>;

// Errors of params decoding are -32602 and name the field (docs/protocol.md, section 2).
void check_error(const Error& error) {
  FUZZ_CHECK(error.code == ErrorCode::kInvalidParams, "a params error is -32602");
  bool has_field = false;
  for (const auto& [key, value] : error.data) has_field = has_field || key == "field";
  FUZZ_CHECK(has_field, "a params error names the field");
}

// Runs `decode`; on success hands the value to `check`, on failure checks the error.
template <class T, class Check>
void expect(const Result<T>& decoded, Check check) {
  if (!decoded) return check_error(decoded.error());
  check(*decoded);
}

void no_params(const json::value& params) {
  // daemon.version/health/shutdown, tasks.list, session.state.
  auto done = taskd::proto::decode_no_params(params);
  if (!done) check_error(done.error());
}

void id_params(const json::value& params) {
  expect(taskd::proto::decode_id_params(params), [](const std::string&) {});
}

void exec_run(const json::value& params) {
  expect(taskd::proto::decode_exec_params(params), [](const taskd::proto::ExecParams& p) {
    const taskd::CommandSpec& command = p.command;
    FUZZ_CHECK(!command.argv.empty() && !command.argv.front().empty(), "exec names a program");
    for (const auto& word : command.argv)
      FUZZ_CHECK(word.find('\0') == std::string::npos, "no NUL");
    for (const auto& [key, value] : command.env) {
      FUZZ_CHECK(!key.empty() && key.find('=') == std::string::npos, "env names are valid");
      FUZZ_CHECK(key.find('\0') == std::string::npos && value.find('\0') == std::string::npos,
                 "env holds no NUL");
    }
    FUZZ_CHECK(p.timeout_ms >= 0 && p.kill_grace_ms >= 0, "durations are not negative");
    FUZZ_CHECK(p.max_output_bytes >= 1 && p.max_output_bytes <= taskd::proto::kMaxOutputLimit,
               "max_output_bytes in range");
    FUZZ_CHECK(p.stop_signal >= 1 && p.stop_signal < NSIG, "a real stop signal");
    FUZZ_CHECK(!command.umask || *command.umask <= 0777, "umask in range");
    FUZZ_CHECK(p.request_key.size() <= 256, "request_key bounded");
  });
}

void names(const json::value& params, bool with_wait) {
  expect(taskd::proto::decode_names_params(params, with_wait),
         [](const taskd::proto::NamesParams& p) {
           FUZZ_CHECK(!p.names.empty(), "names are not empty");
           FUZZ_CHECK(!p.timeout_ms || *p.timeout_ms >= 0, "timeout not negative");
         });
}

void programs_signal(const json::value& params) {
  expect(taskd::proto::decode_signal_params(params), [](const taskd::proto::SignalParams& p) {
    FUZZ_CHECK(!p.names.empty(), "names are not empty");
    FUZZ_CHECK(p.signal >= 1 && p.signal < NSIG, "a real signal");
  });
}

void programs_tail(const json::value& params) {
  expect(taskd::proto::decode_tail_params(params), [](const taskd::proto::TailParams& p) {
    FUZZ_CHECK(p.stream == "stdout" || p.stream == "stderr", "a known stream");
    FUZZ_CHECK(p.length >= 0 && p.length <= taskd::proto::kMaxTailLength, "length in range");
  });
}

// For decoders whose every decoded value is acceptable.
constexpr auto any_value = [](const auto&) {};

// A task as tasks.create and each tasks.sync entry decode it, then as TaskManager::validate and
// the task store treat it: the spec kept in task.json must decode to the same spec at restart.
// (Compared as JSON, not field by field: the same JSON decodes to the same spec, and this way the
// fuzzer does not break when a spec field is added or renamed.)
void check_task(const taskd::proto::TaskParams& task) {
  (void)taskd::is_valid_task_id(task.id);
  for (const auto& step : task.spec.setup) (void)taskd::tasks::check_setup_path(step.path);
  FUZZ_CHECK(taskd::tasks::decode_task_spec_json(task.spec_json).has_value(),
             "the canonical spec decodes again");
  FUZZ_CHECK(taskd::proto::canonical_spec_json(json::parse(task.spec_json)) == task.spec_json,
             "the canonical spec is canonical");
  taskd::tasks::TaskRecord record;
  record.id = task.id;
  record.spec_json = task.spec_json;
  auto file = taskd::tasks::decode_task_file(taskd::tasks::encode_task_file(record));
  FUZZ_CHECK(file.has_value(), "task.json written by the daemon reads back");
  FUZZ_CHECK(file->id == record.id && file->spec_json == record.spec_json,
             "task.json keeps the id and the spec");
}

void task_params(const json::value& params, const std::string& path) {
  expect(taskd::proto::decode_task_params(params, path),
         [&](const taskd::proto::TaskParams& task) { check_task(task); });
}

void tasks_delete(const json::value& params) {
  expect(taskd::proto::decode_task_delete_params(params),
         [](const taskd::proto::TaskDeleteParams& p) {
           FUZZ_CHECK(p.grace_ms >= 0, "grace not negative");
         });
}

void tasks_sync(const json::value& params) {
  expect(taskd::proto::decode_tasks_sync_params(params),
         [](const taskd::proto::TasksSyncParams& p) {
           FUZZ_CHECK(p.grace_ms >= 0, "grace not negative");
           for (const auto& task : p.tasks) check_task(task);
         });
}

void daemon_tail(const json::value& params) {
  expect(taskd::proto::decode_daemon_tail_params(params),
         [](const taskd::proto::DaemonTailParams& p) {
           FUZZ_CHECK(p.length >= 0 && p.length <= taskd::proto::kMaxTailLength, "length in range");
         });
}

const std::map<std::string_view, Decoder>& decoders() {
  static const std::map<std::string_view, Decoder> table = {
      {method::kDaemonVersion, no_params},
      {method::kDaemonHealth, no_params},
      {method::kDaemonShutdown, no_params},
      {method::kDaemonTail, daemon_tail},
      {method::kDaemonReload,
       [](const json::value& p) { expect(taskd::proto::decode_reload_params(p), any_value); }},
      {method::kEventsSubscribe,
       [](const json::value& p) { expect(taskd::proto::decode_topics_params(p), any_value); }},
      {method::kEventsUnsubscribe,
       [](const json::value& p) { expect(taskd::proto::decode_topics_params(p), any_value); }},
      {method::kProgramsStatus,
       [](const json::value& p) { expect(taskd::proto::decode_status_params(p), any_value); }},
      {method::kProgramsStart, [](const json::value& p) { names(p, true); }},
      {method::kProgramsStop, [](const json::value& p) { names(p, true); }},
      {method::kProgramsRestart, [](const json::value& p) { names(p, true); }},
      {method::kProgramsClear, [](const json::value& p) { names(p, false); }},
      {method::kProgramsSignal, programs_signal},
      {method::kProgramsTail, programs_tail},
      {method::kProgramsInput,
       [](const json::value& p) { expect(taskd::proto::decode_input_params(p), any_value); }},
      {method::kExecRun, exec_run},
      {method::kTasksCreate, [](const json::value& p) { task_params(p, ""); }},
      {method::kTasksGet, id_params},
      {method::kTasksPoll, id_params},
      {method::kTasksDelete, tasks_delete},
      {method::kTasksList, no_params},
      {method::kTasksSync, tasks_sync},
      {method::kSessionOpen,
       [](const json::value& p) {
         expect(taskd::proto::decode_session_open_params(p), any_value);
       }},
      {method::kSessionSwitch, id_params},
      {method::kSessionStop, id_params},
      {method::kSessionPrompt,
       [](const json::value& p) {
         expect(taskd::proto::decode_session_prompt_params(p), any_value);
       }},
      {method::kSessionState, no_params},
  };
  return table;
}

// task.json as TaskManager::load reads it at start (the record, then its spec: a task whose
// spec does not decode is skipped): whatever it keeps, it writes back the same.
void task_file(std::string_view text) {
  namespace tasks = taskd::tasks;
  auto record = tasks::decode_task_file(text);
  if (!record || !tasks::decode_task_spec_json(record->spec_json)) return;
  auto again = tasks::decode_task_file(tasks::encode_task_file(*record));
  FUZZ_CHECK(again.has_value(), "a task.json the store read is written back readable");
  FUZZ_CHECK(tasks::encode_task_file(*again) == tasks::encode_task_file(*record),
             "task.json survives a rewrite unchanged");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t newline = input.find('\n');
  std::string_view name = input.substr(0, newline);
  std::string_view rest = newline == std::string_view::npos ? "" : input.substr(newline + 1);
  if (name == "@task.json") {
    task_file(rest);
    return 0;
  }
  auto found = decoders().find(name);
  if (found == decoders().end()) return 0;
  json::value params;  // absent: null
  if (!rest.empty()) {
    // As proto::parse_line parses a request line (max_depth 64); params are an object or array.
    json::parse_options options;
    options.max_depth = 64;
    boost::system::error_code ec;
    params = json::parse(rest, ec, {}, options);
    if (ec || !(params.is_object() || params.is_array())) return 0;
  }
  found->second(params);
  return 0;
}
