#include "daemon/api/task_json.h"

#include "common/ids.h"
#include "common/text_encoding.h"
#include "common/wall_time.h"
#include "proto/exec_types.h"
#include "proto/params.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <ctime>

namespace taskd::api {
namespace json = boost::json;
using proto::Fields;
using tasks::CommandSpec;
using tasks::SetupStep;

namespace {

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

Result<CommandSpec> decode_command(const json::value& value, const std::string& path,
                                   bool allow_timeout) {
  CommandSpec command;
  Fields fields(value, path);
  std::vector<std::string> args;
  json::value umask;
  fields.required("command", command.argv)
      .optional("args", args)
      .optional("env", command.env)
      .optional("cwd", command.cwd)
      .optional("umask", umask)
      .optional("user", command.user);
  if (allow_timeout) fields.optional("timeout_ms", command.timeout_ms);
  if (fields.ok() && (command.argv.empty() || command.argv.front().empty())) {
    fields.fail("command", "must name a program to run");
  }
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  if (!umask.is_null()) {
    unsigned parsed = 0;
    if (!proto::decode_umask(umask, parsed))
      fields.fail("umask", "must be an octal umask such as \"022\"");
    command.umask = parsed;
  }
  if (!is_valid_duration_ms(command.timeout_ms)) fields.fail("timeout_ms", proto::kDurationRule);
  proto::check_command_strings(fields,
                               {"command", command.argv, command.env, command.cwd, command.user});
  if (auto done = fields.finish(); !done) return done.error();
  return command;
}

Result<SetupStep> decode_step(const json::value& value, const std::string& path) {
  SetupStep step;
  Fields fields(value, path);
  std::string kind;
  fields.required("kind", kind);
  static const std::pair<std::string_view, SetupStep::Kind> kKinds[] = {
      {"write", SetupStep::Kind::kWrite},     {"mkdir", SetupStep::Kind::kMkdir},
      {"chmod", SetupStep::Kind::kChmod},     {"chown", SetupStep::Kind::kChown},
      {"symlink", SetupStep::Kind::kSymlink}, {"remove", SetupStep::Kind::kRemove},
      {"run", SetupStep::Kind::kRun}};
  auto found = std::find_if(std::begin(kKinds), std::end(kKinds),
                            [&](const auto& k) { return k.first == kind; });
  if (fields.ok() && found == std::end(kKinds)) {
    fields.fail("kind", "must be one of write, mkdir, chmod, chown, symlink, remove, run");
  }
  if (!fields.ok()) return fields.finish().error();
  step.kind = found->second;
  if (step.kind == SetupStep::Kind::kRun) {
    json::object command_fields = value.as_object();
    command_fields.erase("kind");
    auto command = decode_command(command_fields, path, true);
    if (!command) return command.error();
    step.run = std::move(*command);
    return step;
  }
  bool no_follow = false;  // the old opt-in to strictness, now the default: still accepted
  fields.required("path", step.path)
      .optional("follow_symlinks", step.follow_symlinks)
      .optional("no_follow", no_follow);
  if (no_follow && step.follow_symlinks)
    fields.fail("no_follow", "contradicts follow_symlinks: true");
  switch (step.kind) {
    case SetupStep::Kind::kWrite: {
      std::optional<std::string> content, content_base64;
      fields.optional("content", content).optional("content_base64", content_base64);
      read_mode(fields, "mode", step.mode);
      fields.optional("owner", step.owner).optional("parents", step.parents);
      check_owner(fields, step.owner);
      if (content && content_base64)
        fields.fail("content", "give either content or content_base64");
      if (content) step.content = *content;
      if (content_base64) {
        auto bytes = base64_decode(*content_base64);
        if (!bytes) fields.fail("content_base64", "must be valid base64");
        step.content = bytes.value_or("");
      }
      break;
    }
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
  if (auto done = fields.finish(); !done) return done.error();
  return step;
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

Result<tasks::TaskSpec> decode_task_spec(const json::value& spec, const std::string& path) {
  tasks::TaskSpec decoded;
  Fields fields(spec, path);
  json::value setup, process, check;
  fields.optional("setup", setup).optional("process", process).optional("check", check);
  fields.optional("deadline_ms", decoded.deadline_ms);
  if (fields.ok() && !is_valid_duration_ms(decoded.deadline_ms))
    fields.fail("deadline_ms", proto::kDurationRule);
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
    auto command = decode_command(process, fields.field_path("process"), false);
    if (!command) return command.error();
    decoded.process = std::move(*command);
  }
  if (!check.is_null()) {
    auto command = decode_command(check, fields.field_path("check"), true);
    if (!command) return command.error();
    decoded.check = std::move(*command);
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
  decoded.spec_json = canonical_json(spec);
  return decoded;
}

namespace {

std::string_view setup_name(tasks::SetupOutcome outcome) {
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

json::value parsed_spec(const std::string& spec_json) {
  boost::system::error_code ec;
  json::value spec = json::parse(spec_json, ec);
  return ec ? json::value(nullptr) : spec;
}

}  // namespace

json::object encode_task(const tasks::TaskRecord& r) {
  json::object setup{{"result", setup_name(r.setup)}, {"duration_ms", r.setup_duration_ms}};
  if (r.setup == tasks::SetupOutcome::kFail) {
    setup.emplace("failed_step", r.failed_step);
    setup.emplace("reason", r.setup_error);
  }
  const tasks::ProcessStatus& p = r.process;
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
  return json::object{{"id", r.id},
                      {"spec", parsed_spec(r.spec_json)},
                      {"created_at", iso_time(r.created_at_ms)},
                      {"setup", std::move(setup)},
                      {"status", json::object{{"state", std::move(state)}}},
                      {"done", r.done}};
}

std::string encode_task_file(const tasks::TaskRecord& r) {
  const tasks::ProcessStatus& p = r.process;
  json::object process{{"kind", process_kind_name(p.kind)},
                       {"reason", p.reason},
                       {"message", p.message},
                       {"pid", p.pid},
                       {"started_at_ms", p.started_at_ms},
                       {"finished_at_ms", p.finished_at_ms}};
  if (p.exit_code) process.emplace("exit_code", *p.exit_code);
  if (p.signal) process.emplace("signal", *p.signal);
  json::object file{{"version", 1},
                    {"id", r.id},
                    {"spec", parsed_spec(r.spec_json)},
                    {"created_at_ms", r.created_at_ms},
                    {"setup", setup_name(r.setup)},
                    {"failed_step", r.failed_step},
                    {"setup_error", r.setup_error},
                    {"setup_duration_ms", r.setup_duration_ms},
                    {"process", std::move(process)},
                    {"done", r.done}};
  return json::serialize(file) + "\n";
}

Result<tasks::TaskRecord> decode_task_file(std::string_view text) {
  boost::system::error_code ec;
  json::value file = json::parse(text, ec);
  if (ec) return make_error(ErrorCode::kIo, "task.json is not JSON: " + ec.message());
  tasks::TaskRecord r;
  Fields fields(file);
  int version = 0;
  json::value spec, process;
  std::string setup, kind;
  fields.required("version", version).required("id", r.id).required("spec", spec);
  fields.required("created_at_ms", r.created_at_ms).required("setup", setup);
  fields.optional("failed_step", r.failed_step).optional("setup_error", r.setup_error);
  fields.optional("setup_duration_ms", r.setup_duration_ms)
      .required("process", process)
      .optional("done", r.done);
  if (auto done = fields.finish(); !done) return done.error();
  if (version != 1)
    return make_error(ErrorCode::kIo,
                      "task.json version " + std::to_string(version) + " is not supported");
  r.spec_json = canonical_json(spec);
  r.setup = setup == "READY"  ? tasks::SetupOutcome::kReady
            : setup == "FAIL" ? tasks::SetupOutcome::kFail
                              : tasks::SetupOutcome::kPending;
  Fields p(process, "process");
  std::optional<int> exit_code, signal;
  p.required("kind", kind)
      .optional("reason", r.process.reason)
      .optional("message", r.process.message);
  p.optional("pid", r.process.pid).optional("started_at_ms", r.process.started_at_ms);
  p.optional("finished_at_ms", r.process.finished_at_ms)
      .optional("exit_code", exit_code)
      .optional("signal", signal);
  if (auto done = p.finish(); !done) return done.error();
  r.process.exit_code = exit_code;
  r.process.signal = signal;
  r.process.kind = kind == "running"      ? tasks::ProcessStatus::Kind::kRunning
                   : kind == "terminated" ? tasks::ProcessStatus::Kind::kTerminated
                                          : tasks::ProcessStatus::Kind::kWaiting;
  return r;
}

Result<tasks::TaskSpec> decode_task_spec_json(std::string_view spec_json) {
  boost::system::error_code ec;
  json::value spec = json::parse(spec_json, ec);
  if (ec) return make_error(ErrorCode::kIo, "spec is not JSON: " + ec.message());
  return decode_task_spec(spec, "spec");
}

}  // namespace taskd::api
