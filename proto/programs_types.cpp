#include "proto/programs_types.h"

#include "common/signals.h"
#include "proto/params.h"

namespace taskd::proto {
namespace {

json::object encode_error(const Error& error) {
  return {{"code", error_code_name(error.code)}, {"message", error.message}};
}

}  // namespace

void tag_invoke(json::value_from_tag, json::value& out, const ProgramStatus& s) {
  json::object object{{"name", s.name},
                      {"group", s.group},
                      {"state", s.state},
                      {"state_code", s.state_code},
                      {"pid", s.pid},
                      {"description", s.description},
                      {"start_ms", s.start_ms},
                      {"stop_ms", s.stop_ms},
                      {"uptime_ms", s.uptime_ms},
                      {"spawn_error", s.spawn_error},
                      {"backoff", s.backoff},
                      {"output_dropped_bytes", s.output_dropped_bytes},
                      {"stdout_log", s.stdout_log},
                      {"stderr_log", s.stderr_log},
                      {"autostart", s.autostart},
                      {"priority", s.priority}};
  if (s.exit) object.emplace(s.exit->signaled ? "exit_signal" : "exit_code", s.exit->code);
  out = std::move(object);
}

void tag_invoke(json::value_from_tag, json::value& out, const StatusResult& v) {
  json::array processes;
  for (const auto& status : v.processes) processes.push_back(json::value_from(status));
  json::array errors;
  for (const auto& failed : v.errors) {
    json::object error = encode_error(failed.error);
    error.emplace("name", failed.name);
    errors.push_back(std::move(error));
  }
  out = json::object{{"processes", std::move(processes)}, {"errors", std::move(errors)}};
}

void tag_invoke(json::value_from_tag, json::value& out, const OutcomesResult& v) {
  json::array results;
  for (const auto& outcome : v.results) {
    json::object entry{{"name", outcome.name}, {"ok", !outcome.error}};
    if (outcome.state) {
      entry.emplace("state", *outcome.state);
      entry.emplace("pid", outcome.pid);
    }
    if (outcome.error) entry.emplace("error", encode_error(*outcome.error));
    results.push_back(std::move(entry));
  }
  out = json::object{{"results", std::move(results)}};
}

void tag_invoke(json::value_from_tag, json::value& out, const InputResult& v) {
  out = json::object{{"name", v.name}, {"written", v.written}};
}

Result<NamesParams> decode_names_params(const json::value& params, bool with_wait) {
  NamesParams decoded;
  Fields fields(params);
  fields.required("names", decoded.names);
  if (with_wait) fields.optional("wait", decoded.wait).optional("timeout_ms", decoded.timeout_ms);
  if (fields.ok() && decoded.names.empty()) fields.fail("names", "must name at least one process");
  if (fields.ok() && decoded.timeout_ms && !is_valid_duration_ms(*decoded.timeout_ms)) {
    fields.fail("timeout_ms", kDurationRule);
  }
  if (auto done = fields.finish(); !done) return done.error();
  return decoded;
}

Result<StatusParams> decode_status_params(const json::value& params) {
  StatusParams decoded;
  Fields fields(params);
  fields.optional("names", decoded.names);
  if (auto done = fields.finish(); !done) return done.error();
  return decoded;
}

Result<SignalParams> decode_signal_params(const json::value& params) {
  SignalParams decoded;
  Fields fields(params);
  fields.required("names", decoded.names);
  json::value signal;
  fields.required("signal", signal);
  if (fields.ok()) {
    std::optional<int> parsed;
    if (signal.is_string()) parsed = parse_signal(signal.get_string());
    if (signal.is_int64()) parsed = parse_signal(std::to_string(signal.get_int64()));
    if (!parsed) fields.fail("signal", "must be a signal name (\"HUP\") or number");
    decoded.signal = parsed.value_or(0);
  }
  if (fields.ok() && decoded.names.empty()) fields.fail("names", "must name at least one process");
  if (auto done = fields.finish(); !done) return done.error();
  return decoded;
}

Result<TailParams> decode_tail_params(const json::value& params) {
  TailParams decoded;
  Fields fields(params);
  fields.required("name", decoded.name)
      .optional("stream", decoded.stream)
      .optional("offset", decoded.offset)
      .optional("length", decoded.length);
  if (fields.ok() && decoded.stream != "stdout" && decoded.stream != "stderr") {
    fields.fail("stream", "must be \"stdout\" or \"stderr\"");
  }
  if (fields.ok() && (decoded.length < 0 || decoded.length > kMaxTailLength)) {
    fields.fail("length", "must be from 0 to 1048576");
  }
  if (auto done = fields.finish(); !done) return done.error();
  return decoded;
}

Result<InputParams> decode_input_params(const json::value& params) {
  InputParams decoded;
  Fields fields(params);
  fields.required("name", decoded.name).required("data", decoded.data).optional("eof", decoded.eof);
  if (auto done = fields.finish(); !done) return done.error();
  return decoded;
}

Result<ReloadParams> decode_reload_params(const json::value& params) {
  ReloadParams decoded;
  Fields fields(params);
  fields.optional("dry_run", decoded.dry_run);
  if (auto done = fields.finish(); !done) return done.error();
  return decoded;
}

json::object encode_process_state_event(const ProcessStateEvent& event) {
  json::object fields{{"name", event.name}, {"group", event.group}, {"from", event.from},
                      {"to", event.to},     {"pid", event.pid},     {"message", event.message}};
  if (event.exit)
    fields.emplace(event.exit->signaled ? "exit_signal" : "exit_code", event.exit->code);
  return fields;
}

json::object encode_output_loss_event(const OutputLossEvent& event) {
  json::object fields{
      {"name", event.name}, {"group", event.group}, {"stream", event.stream}, {"path", event.path}};
  if (event.resumed) {
    fields.emplace("dropped_bytes", event.dropped_bytes);
  } else {
    fields.emplace("error", event.error);
  }
  return fields;
}

std::string_view output_loss_event_type(const OutputLossEvent& event) {
  return event.resumed ? "output_resumed" : "output_dropped";
}

json::object encode_orphan_event(std::int64_t pid, std::string_view status) {
  return json::object{{"pid", pid}, {"status", status}};
}

}  // namespace taskd::proto
