#include "proto/task_types.h"

#include "common/ids.h"
#include "common/text_encoding.h"
#include "common/wall_time.h"
#include "proto/exec_types.h"
#include "proto/json_encode.h"
#include "proto/params.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace taskd::proto {
namespace {

using tasks::SetupStep;
using tasks::TaskCommand;

// The 1.1 name of `cmd` in task commands, still read for one minor version (docs/protocol.md).
constexpr std::string_view kLegacyCmd = "command";

// File modes as "0644", "644", "0o644" or 644 (integers are read as octal digits, like umask).
void read_mode(Fields& fields, std::string_view name, std::optional<unsigned>& out) {
  json::value raw;
  fields.optional(name, raw);
  if (raw.is_null()) return;
  std::string digits = raw.is_string()                          ? std::string(raw.get_string())
                       : raw.is_int64() && raw.get_int64() >= 0 ? std::to_string(raw.get_int64())
                                                                : "";
  if (digits.starts_with("0o")) digits.erase(0, 2);
  bool octal =
      !digits.empty() && digits.size() <= 5 &&
      std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; });
  unsigned mode = octal ? static_cast<unsigned>(std::stoul(digits, nullptr, 8)) : 0;
  if (!octal || mode > 07777) return fields.fail(name, "must be an octal mode such as \"0644\"");
  out = mode;
}

// "user", "user:group" or ":group" (names or ids). NUL bytes and numbers that are not valid
// 32-bit ids ("4294968296" would wrap to 1000) are refused here, before anything runs.
void check_owner(Fields& fields, const std::string& owner) {
  if (owner.empty()) return;
  std::size_t colon = owner.find(':');
  std::string user = owner.substr(0, colon);
  std::string group = colon == std::string::npos ? "" : owner.substr(colon + 1);
  if (owner.find('\0') != std::string::npos) {
    fields.fail("owner", "must not contain NUL bytes");
  } else if (group.find(':') != std::string::npos || (user.empty() && group.empty())) {
    fields.fail("owner", "must be \"user\", \"user:group\" or \":group\"");
  } else if (is_out_of_range_id(user) || is_out_of_range_id(group)) {
    fields.fail("owner", "has an id out of range (0 to 4294967294)");
  }
}

// Which name the argv of a command object was given under: `cmd`, or the 1.1 `command`.
std::string_view cmd_field(const json::value& value) {
  const json::object* object = value.if_object();
  return object && object->contains(kLegacyCmd) && !object->contains("cmd") ? kLegacyCmd : "cmd";
}

Result<TaskCommand> decode_command(const json::value& value, const std::string& path,
                                   bool allow_timeout) {
  TaskCommand run;
  CommandSpec& command = run.command;
  Fields fields(value, path);
  std::vector<std::string> args;
  json::value umask;
  std::string_view argv_field = cmd_field(value);
  if (argv_field == "cmd" && fields.object()->contains(kLegacyCmd))
    fields.fail(kLegacyCmd, "is the 1.1 name of 'cmd': give only 'cmd'");
  fields.required(argv_field, command.argv)
      .optional("args", args)
      .optional("env", command.env)
      .optional("cwd", command.cwd)
      .optional("umask", umask)
      .optional("user", command.user);
  if (allow_timeout) fields.optional("timeout_ms", run.timeout_ms);
  if (fields.ok() && (command.argv.empty() || command.argv.front().empty())) {
    fields.fail(argv_field, "must name a program to run");
  }
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  if (!umask.is_null()) {
    unsigned parsed = 0;
    if (!decode_umask(umask, parsed))
      fields.fail("umask", "must be an octal umask such as \"022\"");
    command.umask = parsed;
  }
  if (!is_valid_duration_ms(run.timeout_ms)) fields.fail("timeout_ms", kDurationRule);
  check_command_strings(fields, argv_field, command);
  if (auto done = fields.finish(); !done) return done.error();
  return run;
}

constexpr std::pair<std::string_view, SetupStep::Kind> kStepKinds[] = {
    {"write", SetupStep::Kind::kWrite},     {"mkdir", SetupStep::Kind::kMkdir},
    {"chmod", SetupStep::Kind::kChmod},     {"chown", SetupStep::Kind::kChown},
    {"symlink", SetupStep::Kind::kSymlink}, {"remove", SetupStep::Kind::kRemove},
    {"run", SetupStep::Kind::kRun}};

void decode_write(Fields& fields, SetupStep& step) {
  std::optional<std::string> content, content_base64;
  fields.optional("content", content).optional("content_base64", content_base64);
  read_mode(fields, "mode", step.mode);
  fields.optional("owner", step.owner).optional("parents", step.parents);
  check_owner(fields, step.owner);
  if (content && content_base64) fields.fail("content", "give either content or content_base64");
  if (content) step.content = *content;
  if (content_base64) {
    auto bytes = base64_decode(*content_base64);
    if (!bytes) fields.fail("content_base64", "must be valid base64");
    step.content = bytes.value_or("");
  }
}

// The fields of the file steps (all kinds but run) after `kind`.
void decode_file_step(Fields& fields, SetupStep& step) {
  bool no_follow = false;  // the old opt-in to strictness, now the default: still accepted
  fields.required("path", step.path)
      .optional("follow_symlinks", step.follow_symlinks)
      .optional("no_follow", no_follow);
  if (no_follow && step.follow_symlinks)
    fields.fail("no_follow", "contradicts follow_symlinks: true");
  switch (step.kind) {
    case SetupStep::Kind::kWrite: decode_write(fields, step); break;
    case SetupStep::Kind::kMkdir:
      read_mode(fields, "mode", step.mode);
      fields.optional("owner", step.owner).optional("parents", step.parents);
      check_owner(fields, step.owner);
      break;
    case SetupStep::Kind::kChmod:
      read_mode(fields, "mode", step.mode);
      if (fields.ok() && !step.mode) fields.fail("mode", "is required");
      break;
    case SetupStep::Kind::kChown:
      fields.required("owner", step.owner);
      if (fields.ok() && step.owner.empty()) fields.fail("owner", "must not be empty");
      check_owner(fields, step.owner);
      break;
    case SetupStep::Kind::kSymlink:
      fields.required("target", step.target).optional("parents", step.parents);
      if (fields.ok() && step.target.empty()) fields.fail("target", "must not be empty");
      if (step.target.find('\0') != std::string::npos)
        fields.fail("target", "must not contain NUL bytes");
      break;
    case SetupStep::Kind::kRemove: fields.optional("recursive", step.recursive); break;
    case SetupStep::Kind::kRun: break;
  }
}

Result<SetupStep> decode_step(const json::value& value, const std::string& path) {
  SetupStep step;
  Fields fields(value, path);
  std::string kind;
  fields.required("kind", kind);
  auto found = std::find_if(std::begin(kStepKinds), std::end(kStepKinds),
                            [&](const auto& k) { return k.first == kind; });
  if (fields.ok() && found == std::end(kStepKinds)) {
    fields.fail("kind", "must be one of write, mkdir, chmod, chown, symlink, remove, run");
  }
  if (!fields.ok()) return fields.finish().error();
  step.kind = found->second;
  if (step.kind == SetupStep::Kind::kRun) {
    json::object command_fields = value.as_object();
    command_fields.erase("kind");
    auto run = decode_command(command_fields, path, true);
    if (!run) return run.error();
    step.run = std::move(*run);
    return step;
  }
  decode_file_step(fields, step);
  if (auto done = fields.finish(); !done) return done.error();
  return step;
}

// Renames a 1.1 `command` to `cmd` in one command object (a process, a check or a run step).
void rename_legacy_cmd(json::value& command) {
  json::object* object = command.if_object();
  if (!object || object->contains("cmd")) return;
  if (json::value* argv = object->if_contains(kLegacyCmd)) {
    json::value moved = std::move(*argv);
    object->erase(kLegacyCmd);
    object->emplace("cmd", std::move(moved));
  }
}

void check_grace(Fields& fields, std::int64_t grace_ms) {
  if (fields.ok() && !is_valid_duration_ms(grace_ms)) fields.fail("grace_ms", kDurationRule);
}

}  // namespace

std::string canonical_json(const json::value& value) {
  if (const json::object* object = value.if_object()) {
    std::vector<std::string_view> keys;
    for (const auto& entry : *object) keys.push_back(entry.key());
    std::sort(keys.begin(), keys.end());
    std::string out = "{";
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (i) out += ",";
      out += json::serialize(json::value(keys[i])) + ":" + canonical_json(object->at(keys[i]));
    }
    return out + "}";
  }
  if (const json::array* array = value.if_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < array->size(); ++i)
      out += (i ? "," : "") + canonical_json((*array)[i]);
    return out + "]";
  }
  return json::serialize(value);
}

std::string canonical_spec_json(const json::value& spec) {
  json::value renamed = spec;
  if (json::object* object = renamed.if_object()) {
    if (json::value* process = object->if_contains("process")) rename_legacy_cmd(*process);
    if (json::value* check = object->if_contains("check")) rename_legacy_cmd(*check);
    json::value* setup = object->if_contains("setup");
    if (json::array* steps = setup ? setup->if_array() : nullptr) {
      for (json::value& step : *steps) {
        const json::object* fields = step.if_object();
        const json::value* kind = fields ? fields->if_contains("kind") : nullptr;
        if (kind && kind->is_string() && kind->get_string() == "run") rename_legacy_cmd(step);
      }
    }
  }
  return canonical_json(renamed);
}

Result<tasks::TaskSpec> decode_task_spec(const json::value& spec, const std::string& path) {
  tasks::TaskSpec decoded;
  Fields fields(spec, path);
  json::value setup, process, check;
  fields.optional("setup", setup).optional("process", process).optional("check", check);
  fields.optional("deadline_ms", decoded.deadline_ms);
  if (fields.ok() && !is_valid_duration_ms(decoded.deadline_ms))
    fields.fail("deadline_ms", kDurationRule);
  if (!setup.is_null() && !setup.is_array()) fields.fail("setup", "must be an array of steps");
  if (auto done = fields.finish(); !done) return done.error();
  if (const json::array* steps = setup.if_array()) {
    for (std::size_t i = 0; i < steps->size(); ++i) {
      auto step =
          decode_step((*steps)[i], fields.field_path("setup") + "[" + std::to_string(i) + "]");
      if (!step) return step.error();
      decoded.setup.push_back(std::move(*step));
    }
  }
  if (!process.is_null()) {
    auto run = decode_command(process, fields.field_path("process"), false);
    if (!run) return run.error();
    decoded.process = std::move(*run);
  }
  if (!check.is_null()) {
    auto run = decode_command(check, fields.field_path("check"), true);
    if (!run) return run.error();
    decoded.check = std::move(*run);
  }
  return decoded;
}

Result<TaskParams> decode_task_params(const json::value& params, const std::string& path) {
  TaskParams decoded;
  Fields fields(params, path);
  json::value spec;
  fields.required("id", decoded.id).required("spec", spec);
  if (auto done = fields.finish(); !done) return done.error();
  auto parsed = decode_task_spec(spec, fields.field_path("spec"));
  if (!parsed) return parsed.error();
  decoded.spec = std::move(*parsed);
  decoded.spec_json = canonical_spec_json(spec);
  return decoded;
}

Result<TaskDeleteParams> decode_task_delete_params(const json::value& params) {
  TaskDeleteParams decoded;
  Fields fields(params);
  fields.required("id", decoded.id).optional("grace_ms", decoded.grace_ms);
  check_grace(fields, decoded.grace_ms);
  if (auto done = fields.finish(); !done) return done.error();
  return decoded;
}

Result<TasksSyncParams> decode_tasks_sync_params(const json::value& params) {
  TasksSyncParams decoded;
  Fields fields(params);
  json::value list;
  fields.required("tasks", list).optional("grace_ms", decoded.grace_ms);
  if (fields.ok() && !list.is_array()) fields.fail("tasks", "must be an array of {id, spec}");
  check_grace(fields, decoded.grace_ms);
  if (auto done = fields.finish(); !done) return done.error();
  const json::array& entries = list.as_array();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::string where = "tasks[" + std::to_string(i) + "]";
    auto task = decode_task_params(entries[i], where);
    if (!task) return task.error();
    bool duplicate = std::any_of(decoded.tasks.begin(), decoded.tasks.end(),
                                 [&](const TaskParams& t) { return t.id == task->id; });
    if (duplicate) return invalid_params(where + ".id", "task id '" + task->id + "' appears twice");
    decoded.tasks.push_back(std::move(*task));
  }
  return decoded;
}

std::string_view setup_outcome_name(tasks::SetupOutcome outcome) {
  switch (outcome) {
    case tasks::SetupOutcome::kPending: return "PENDING";
    case tasks::SetupOutcome::kReady: return "READY";
    case tasks::SetupOutcome::kFail: return "FAIL";
  }
  return "PENDING";
}

std::string_view process_kind_name(tasks::ProcessStatus::Kind kind) {
  switch (kind) {
    case tasks::ProcessStatus::Kind::kWaiting: return "waiting";
    case tasks::ProcessStatus::Kind::kRunning: return "running";
    case tasks::ProcessStatus::Kind::kTerminated: return "terminated";
  }
  return "waiting";
}

namespace {

json::value parsed_spec(const std::string& spec_json) {
  boost::system::error_code ec;
  json::value spec = json::parse(spec_json, ec);
  return ec ? json::value(nullptr) : spec;
}

json::object encode_setup(const tasks::TaskRecord& r) {
  json::object setup{{"result", setup_outcome_name(r.setup)}, {"duration_ms", r.setup_duration_ms}};
  if (r.setup == tasks::SetupOutcome::kFail) {
    setup.emplace("failed_step", r.failed_step);
    setup.emplace("reason", r.setup_error);
  }
  return setup;
}

// {"state": {"<kind>": {...}}}, the executor's status shape.
json::object encode_status(const tasks::ProcessStatus& p) {
  json::object detail;
  switch (p.kind) {
    case tasks::ProcessStatus::Kind::kWaiting: detail.emplace("reason", p.reason); break;
    case tasks::ProcessStatus::Kind::kRunning:
      detail.emplace("started_at", iso_time(p.started_at_ms));
      detail.emplace("pid", p.pid);
      break;
    case tasks::ProcessStatus::Kind::kTerminated:
      detail.emplace("exit_code", p.exit_code ? json::value(*p.exit_code) : json::value(nullptr));
      if (p.signal) detail.emplace("signal", *p.signal);
      detail.emplace("reason", p.reason);
      detail.emplace("message", p.message);
      detail.emplace("started_at", iso_time(p.started_at_ms));
      detail.emplace("finished_at", iso_time(p.finished_at_ms));
      break;
  }
  json::object state;
  state.emplace(process_kind_name(p.kind), std::move(detail));
  return json::object{{"state", std::move(state)}};
}

}  // namespace

json::object encode_task(const tasks::TaskRecord& r) {
  return json::object{{"id", r.id},
                      {"spec", parsed_spec(r.spec_json)},
                      {"created_at", iso_time(r.created_at_ms)},
                      {"setup", encode_setup(r)},
                      {"status", encode_status(r.process)},
                      {"done", r.done}};
}

json::object encode_task_list(const std::vector<const tasks::TaskRecord*>& records) {
  json::array list;
  for (const tasks::TaskRecord* record : records) list.push_back(encode_task(*record));
  return json::object{{"tasks", std::move(list)}};
}

json::object encode_task_event(const tasks::TaskRecord& r) {
  return json::object{{"id", r.id},
                      {"setup", encode_setup(r)},
                      {"status", encode_status(r.process)},
                      {"done", r.done}};
}

json::object encode_create_result(const tasks::TaskRecord& r) {
  json::object out{{"id", r.id},
                   {"result", r.setup == tasks::SetupOutcome::kReady ? "READY" : "FAIL"},
                   {"task", encode_task(r)}};
  if (r.setup == tasks::SetupOutcome::kFail) {
    out.emplace("failed_step", r.failed_step);
    out.emplace("reason", r.setup_error);
  }
  return out;
}

json::object encode_delete_result(const std::string& id, bool deleted) {
  return json::object{{"id", id}, {"deleted", deleted}};
}

json::object encode_poll_result(const std::string& id, std::string_view status,
                                const std::string& description) {
  std::string text = status == "ERROR" ? "ERROR:" + description : std::string(status);
  return json::object{
      {"id", id}, {"status", status}, {"description", description}, {"text", std::move(text)}};
}

json::object encode_sync_result(const tasks::SyncReport& report) {
  json::array failed;
  for (const auto& [id, reason] : report.failed)
    failed.push_back(json::object{{"id", id}, {"reason", reason}});
  return json::object{{"created", string_array(report.created)},
                      {"replaced", string_array(report.replaced)},
                      {"deleted", string_array(report.deleted)},
                      {"unchanged", string_array(report.unchanged)},
                      {"failed", std::move(failed)}};
}

}  // namespace taskd::proto
