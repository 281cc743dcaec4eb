// programs.status, programs.start/stop/restart/signal/clear, programs.tail, programs.input:
// decode params, call the supervision domain (daemon/supervisor/control.h), encode its answer.
#include "daemon/api/api.h"

#include "daemon/api/json_helpers.h"

#include "daemon/rpc/dispatcher.h"
#include "daemon/supervisor/control.h"
#include "daemon/supervisor/supervisor.h"
#include "proto/methods.h"
#include "proto/programs_types.h"

#include <boost/json/value_from.hpp>

namespace taskd::api {
namespace asio = boost::asio;
namespace json = boost::json;
using supervisor::Outcome;
using supervisor::Process;

namespace {

proto::ProgramStatus to_wire(const Process& process) {
  supervisor::ProcessStatus s = process.status();
  const ProgramConfig& program = process.spec().program;
  proto::ProgramStatus out{s.name,
                           s.group,
                           std::string(supervisor::state_name(s.state)),
                           supervisor::state_code(s.state),
                           s.pid,
                           s.description,
                           s.start_ms,
                           s.stop_ms,
                           s.uptime_ms,
                           s.spawn_error,
                           s.backoff,
                           s.output_dropped_bytes,
                           s.stdout_log,
                           s.stderr_log,
                           program.autostart,
                           program.priority,
                           std::nullopt};
  if (s.exit) out.exit = proto::ProgramExit{s.exit->signaled, s.exit->code};
  return out;
}

json::value encode(const std::vector<Outcome>& outcomes) {
  proto::OutcomesResult result;
  for (const Outcome& outcome : outcomes) {
    std::optional<std::string> state;
    if (outcome.state) state = std::string(supervisor::state_name(*outcome.state));
    result.results.push_back({outcome.name, outcome.error, std::move(state), outcome.pid});
  }
  return json::value_from(result);
}

supervisor::WaitOptions wait_options(const proto::NamesParams& params) {
  return {params.wait, params.timeout_ms};
}

asio::awaitable<rpc::MethodResult> start_programs(ApiContext& context, json::value params) {
  auto decoded = proto::decode_names_params(params, true);
  if (!decoded) co_return decoded.error();
  auto outcomes = co_await supervisor::start_processes(context.supervisor, decoded->names,
                                                       wait_options(*decoded));
  co_return encode(outcomes);
}

asio::awaitable<rpc::MethodResult> stop_programs(ApiContext& context, json::value params) {
  auto decoded = proto::decode_names_params(params, true);
  if (!decoded) co_return decoded.error();
  auto outcomes = co_await supervisor::stop_processes(context.supervisor, decoded->names,
                                                      wait_options(*decoded));
  co_return encode(outcomes);
}

asio::awaitable<rpc::MethodResult> restart_programs(ApiContext& context, json::value params) {
  auto decoded = proto::decode_names_params(params, true);
  if (!decoded) co_return decoded.error();
  auto outcomes = co_await supervisor::restart_processes(context.supervisor, decoded->names,
                                                         wait_options(*decoded));
  co_return encode(outcomes);
}

rpc::MethodResult status_programs(ApiContext& context, const json::value& params) {
  auto decoded = proto::decode_status_params(params);
  if (!decoded) return decoded.error();
  auto selection = supervisor::select_processes(context.supervisor, decoded->names);
  proto::StatusResult result;
  for (const Process* process : selection.processes) result.processes.push_back(to_wire(*process));
  for (auto& failed : selection.not_found) result.errors.push_back({failed.name, *failed.error});
  return json::value_from(result);
}

rpc::MethodResult signal_programs(ApiContext& context, const json::value& params) {
  auto decoded = proto::decode_signal_params(params);
  if (!decoded) return decoded.error();
  return encode(supervisor::signal_processes(context.supervisor, decoded->names, decoded->signal));
}

rpc::MethodResult clear_programs(ApiContext& context, const json::value& params) {
  auto decoded = proto::decode_names_params(params, false);
  if (!decoded) return decoded.error();
  return encode(supervisor::clear_process_logs(context.supervisor, decoded->names));
}

rpc::MethodResult tail_program(ApiContext& context, const json::value& params) {
  auto decoded = proto::decode_tail_params(params);
  if (!decoded) return decoded.error();
  auto tail = supervisor::tail_process_log(context.supervisor, decoded->name, decoded->stream,
                                           decoded->offset, decoded->length);
  if (!tail) return tail.error();
  json::object out = encode_log_slice(tail->path, tail->slice);
  out.emplace("name", decoded->name);
  out.emplace("stream", decoded->stream);
  return out;
}

rpc::MethodResult input_program(ApiContext& context, const json::value& params) {
  auto decoded = proto::decode_input_params(params);
  if (!decoded) return decoded.error();
  auto process = supervisor::find_process(context.supervisor, decoded->name);
  if (!process) return process.error();
  auto written = (*process)->write_stdin(decoded->data, decoded->eof);
  if (!written) return written.error();
  return json::value_from(proto::InputResult{decoded->name, *written});
}

}  // namespace

void register_programs_methods(rpc::Dispatcher& dispatcher, ApiContext& context) {
  dispatcher.add(
      proto::method::kProgramsStatus,
      [&context](const json::value& p, rpc::CallContext&) { return status_programs(context, p); });
  dispatcher.add(
      proto::method::kProgramsSignal,
      [&context](const json::value& p, rpc::CallContext&) { return signal_programs(context, p); });
  dispatcher.add(
      proto::method::kProgramsClear,
      [&context](const json::value& p, rpc::CallContext&) { return clear_programs(context, p); });
  dispatcher.add(proto::method::kProgramsTail, [&context](const json::value& p, rpc::CallContext&) {
    return tail_program(context, p);
  });
  dispatcher.add(
      proto::method::kProgramsInput,
      [&context](const json::value& p, rpc::CallContext&) { return input_program(context, p); });
  dispatcher.add_async(proto::method::kProgramsStart,
                       [&context](const json::value& p, const rpc::CallContext&) {
                         return start_programs(context, p);
                       });
  dispatcher.add_async(proto::method::kProgramsStop,
                       [&context](const json::value& p, const rpc::CallContext&) {
                         return stop_programs(context, p);
                       });
  dispatcher.add_async(proto::method::kProgramsRestart,
                       [&context](const json::value& p, const rpc::CallContext&) {
                         return restart_programs(context, p);
                       });
}

}  // namespace taskd::api
