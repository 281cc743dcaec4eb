// Fuzzes the params decoding of every method. Input: the method name, a newline, then the params
// as JSON ("exec.run\n{\"cmd\":[\"true\"]}"); without a newline the params are absent. Each method
// goes to the decoder the daemon's api layer calls for it (proto/*_types, daemon/api/task_json).
// A decoder must either fail with -32602 naming a field, or give values inside the documented
// ranges; a decoded task spec must survive task.json (encode, decode) unchanged.
//
// The pseudo-method "@task.json" takes the rest of the input as a task.json file instead.
#include "common/ids.h"
#include "daemon/api/task_json.h"
#include "daemon/tasks/path_policy.h"
#include "fuzz_check.h"
#include "proto/daemon_types.h"
#include "proto/exec_types.h"
#include "proto/methods.h"
#include "proto/params.h"
#include "proto/programs_types.h"

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
  // daemon.version/health/shutdown, tasks.list, session.state: exactly what api/*_methods do.
  auto done = taskd::proto::Fields(params).finish();
  if (!done) check_error(done.error());
}

void exec_run(const json::value& params) {
  expect(taskd::proto::decode_exec_params(params), [](const taskd::proto::ExecParams& p) {
    FUZZ_CHECK(!p.cmd.empty() && !p.cmd.front().empty(), "exec names a program");
    for (const auto& word : p.cmd) FUZZ_CHECK(word.find('\0') == std::string::npos, "no NUL");
    for (const auto& [key, value] : p.env) {
      FUZZ_CHECK(!key.empty() && key.find('=') == std::string::npos, "env names are valid");
      FUZZ_CHECK(key.find('\0') == std::string::npos && value.find('\0') == std::string::npos,
                 "env holds no NUL");
    }
    FUZZ_CHECK(p.timeout_ms >= 0 && p.kill_grace_ms >= 0, "durations are not negative");
    FUZZ_CHECK(p.max_output_bytes >= 1 && p.max_output_bytes <= taskd::proto::kMaxOutputLimit,
               "max_output_bytes in range");
    FUZZ_CHECK(p.stop_signal >= 1 && p.stop_signal < NSIG, "a real stop signal");
    FUZZ_CHECK(!p.umask || *p.umask <= 0777, "umask in range");
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
void task_params(const json::value& params, const std::string& path) {
  expect(taskd::api::decode_task_params(params, path), [&](const taskd::api::TaskParams& task) {
    (void)taskd::is_valid_task_id(task.id);
    for (const auto& step : task.spec.setup) (void)taskd::tasks::check_setup_path(step.path);
    FUZZ_CHECK(taskd::api::decode_task_spec_json(task.spec_json).has_value(),
               "the canonical spec decodes again");
    FUZZ_CHECK(json::parse(task.spec_json) == params.as_object().at("spec"),
               "the canonical spec is the spec as given");
    taskd::tasks::TaskRecord record;
    record.id = task.id;
    record.spec_json = task.spec_json;
    auto file = taskd::api::decode_task_file(taskd::api::encode_task_file(record));
    FUZZ_CHECK(file.has_value(), "task.json written by the daemon reads back");
    FUZZ_CHECK(file->id == record.id && file->spec_json == record.spec_json,
               "task.json keeps the id and the spec");
  });
}

// --- Decoding that still lives inside api lambdas (daemon/api/*_methods.cpp). These mirror it
// field for field until the architecture issue moves it into proto/; keep them in step.

void mirror_daemon_tail(const json::value& params) {  // daemon_methods.cpp tail_daemon_log
  std::optional<std::int64_t> offset;
  std::int64_t length = 1600;
  taskd::proto::Fields fields(params);
  fields.optional("offset", offset).optional("length", length);
  if (fields.ok() && (length < 0 || length > taskd::proto::kMaxTailLength))
    fields.fail("length", "must be from 0 to 1048576");
  if (auto done = fields.finish(); !done) check_error(done.error());
}

void mirror_task_id(const json::value& params, bool with_grace) {  // tasks_methods.cpp decode_id
  std::string id;
  std::int64_t grace_ms = 5000;
  taskd::proto::Fields fields(params);
  fields.required("id", id);
  if (with_grace) fields.optional("grace_ms", grace_ms);
  if (with_grace && fields.ok() && grace_ms < 0) fields.fail("grace_ms", "must not be negative");
  if (auto done = fields.finish(); !done) check_error(done.error());
}

void mirror_tasks_sync(const json::value& params) {  // tasks_methods.cpp sync_tasks
  taskd::proto::Fields fields(params);
  json::value list;
  std::int64_t grace_ms = 5000;
  fields.required("tasks", list).optional("grace_ms", grace_ms);
  if (fields.ok() && !list.is_array()) fields.fail("tasks", "must be an array of {id, spec}");
  if (auto done = fields.finish(); !done) return check_error(done.error());
  for (std::size_t i = 0; i < list.as_array().size(); ++i)
    task_params(list.as_array()[i], "tasks[" + std::to_string(i) + "]");
}

void mirror_session_open(const json::value& params) {  // sessions_methods.cpp open_session
  std::string id, model, thinking_level, working_folder;
  std::vector<std::string> agent;
  taskd::proto::Fields fields(params);
  fields.required("id", id)
      .optional("model", model)
      .optional("thinking_level", thinking_level)
      .optional("working_folder", working_folder)
      .optional("agent", agent);
  if (auto done = fields.finish(); !done) check_error(done.error());
}

void mirror_session_id(const json::value& params) {  // sessions_methods.cpp decode_id
  std::string id;
  taskd::proto::Fields fields(params);
  fields.required("id", id);
  if (auto done = fields.finish(); !done) check_error(done.error());
}

void mirror_session_prompt(const json::value& params) {  // sessions_methods.cpp, session.prompt
  std::string message;
  std::optional<std::string> id;
  taskd::proto::Fields fields(params);
  fields.required("message", message).optional("id", id);
  if (auto done = fields.finish(); !done) check_error(done.error());
}

const std::map<std::string_view, Decoder>& decoders() {
  static const std::map<std::string_view, Decoder> table = {
      {method::kDaemonVersion, no_params},
      {method::kDaemonHealth, no_params},
      {method::kDaemonShutdown, no_params},
      {method::kDaemonTail, mirror_daemon_tail},
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
      {method::kTasksGet, [](const json::value& p) { mirror_task_id(p, false); }},
      {method::kTasksPoll, [](const json::value& p) { mirror_task_id(p, false); }},
      {method::kTasksDelete, [](const json::value& p) { mirror_task_id(p, true); }},
      {method::kTasksList, no_params},
      {method::kTasksSync, mirror_tasks_sync},
      {method::kSessionOpen, mirror_session_open},
      {method::kSessionSwitch, mirror_session_id},
      {method::kSessionStop, mirror_session_id},
      {method::kSessionPrompt, mirror_session_prompt},
      {method::kSessionState, no_params},
  };
  return table;
}

// task.json as TaskManager::load reads it at start (the record, then its spec: a task whose
// spec does not decode is skipped): whatever it keeps, it writes back the same.
void task_file(std::string_view text) {
  auto record = taskd::api::decode_task_file(text);
  if (!record || !taskd::api::decode_task_spec_json(record->spec_json)) return;
  auto again = taskd::api::decode_task_file(taskd::api::encode_task_file(*record));
  FUZZ_CHECK(again.has_value(), "a task.json the store read is written back readable");
  FUZZ_CHECK(taskd::api::encode_task_file(*again) == taskd::api::encode_task_file(*record),
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
