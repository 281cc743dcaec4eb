#include "daemon/tasks/task_file.h"

#include "proto/params.h"
#include "proto/task_types.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace taskd::tasks {
namespace json = boost::json;
using proto::Fields;

namespace {

json::value parsed_spec(const std::string& spec_json) {
  boost::system::error_code ec;
  json::value spec = json::parse(spec_json, ec);
  return ec ? json::value(nullptr) : spec;
}

SetupOutcome setup_outcome(std::string_view name) {
  return name == "READY"  ? SetupOutcome::kReady
         : name == "FAIL" ? SetupOutcome::kFail
                          : SetupOutcome::kPending;
}

ProcessStatus::Kind process_kind(std::string_view name) {
  return name == "running"      ? ProcessStatus::Kind::kRunning
         : name == "terminated" ? ProcessStatus::Kind::kTerminated
                                : ProcessStatus::Kind::kWaiting;
}

Result<ProcessStatus> decode_process(const json::value& process) {
  ProcessStatus status;
  Fields p(process, "process");
  std::string kind;
  p.required("kind", kind).optional("reason", status.reason).optional("message", status.message);
  p.optional("pid", status.pid).optional("started_at_ms", status.started_at_ms);
  p.optional("finished_at_ms", status.finished_at_ms)
      .optional("exit_code", status.exit_code)
      .optional("signal", status.signal);
  if (auto done = p.finish(); !done) return done.error();
  status.kind = process_kind(kind);
  return status;
}

}  // namespace

std::string encode_task_file(const TaskRecord& r) {
  const ProcessStatus& p = r.process;
  json::object process{{"kind", proto::process_kind_name(p.kind)},
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
                    {"setup", proto::setup_outcome_name(r.setup)},
                    {"failed_step", r.failed_step},
                    {"setup_error", r.setup_error},
                    {"setup_duration_ms", r.setup_duration_ms},
                    {"process", std::move(process)},
                    {"done", r.done}};
  return json::serialize(file) + "\n";
}

Result<TaskRecord> decode_task_file(std::string_view text) {
  boost::system::error_code ec;
  json::value file = json::parse(text, ec);
  if (ec) return make_error(ErrorCode::kIo, "task.json is not JSON: " + ec.message());
  TaskRecord r;
  Fields fields(file);
  int version = 0;
  json::value spec, process;
  std::string setup;
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
  r.spec_json = proto::canonical_spec_json(spec);
  r.setup = setup_outcome(setup);
  auto status = decode_process(process);
  if (!status) return status.error();
  r.process = std::move(*status);
  return r;
}

Result<TaskSpec> decode_task_spec_json(std::string_view spec_json) {
  boost::system::error_code ec;
  json::value spec = json::parse(spec_json, ec);
  if (ec) return make_error(ErrorCode::kIo, "spec is not JSON: " + ec.message());
  return proto::decode_task_spec(spec, "spec");
}

}  // namespace taskd::tasks
