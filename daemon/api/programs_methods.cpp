// programs.status, programs.start/stop/restart/signal/clear, programs.tail: decode params, act
// on the Supervisor, encode per-name results.
#include "daemon/api/api.h"

#include "daemon/api/json_helpers.h"

#include "daemon/rpc/dispatcher.h"
#include "daemon/supervisor/log_reader.h"
#include "daemon/supervisor/supervisor.h"
#include "proto/methods.h"
#include "proto/programs_types.h"

#include <boost/json/value_from.hpp>

#include <map>

namespace taskd::api {
namespace asio = boost::asio;
namespace json = boost::json;
using supervisor::Process;
using supervisor::ProcessState;
using Clock = std::chrono::steady_clock;

namespace {

json::object encode_error(const Error& error) {
  return {{"code", error_code_name(error.code)}, {"message", error.message}};
}

json::object encode_status(const supervisor::ProcessStatus& s, const ProgramConfig& program) {
  json::object out{{"name", s.name},
                   {"group", s.group},
                   {"state", supervisor::state_name(s.state)},
                   {"state_code", supervisor::state_code(s.state)},
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
                   {"autostart", program.autostart},
                   {"priority", program.priority}};
  if (s.exit) {
    out.emplace(s.exit->signaled ? "exit_signal" : "exit_code", s.exit->code);
  }
  return out;
}

// One entry of a per-name result list.
struct Outcome {
  std::string name;
  Process* process = nullptr;  // valid until the first co_await; look up by name after it
  std::optional<Error> error;
  std::uint64_t runs_before = 0;  // Process::runs() when the start was requested
};

json::value encode_outcomes(const std::vector<Outcome>& outcomes, supervisor::Supervisor& sup) {
  json::array results;
  for (const auto& outcome : outcomes) {
    json::object entry{{"name", outcome.name}, {"ok", !outcome.error}};
    if (Process* process = sup.find(outcome.name)) {
      entry.emplace("state", supervisor::state_name(process->state()));
      entry.emplace("pid", process->pid());
    }
    if (outcome.error) entry.emplace("error", encode_error(*outcome.error));
    results.push_back(std::move(entry));
  }
  return json::object{{"results", std::move(results)}};
}

// Resolves every pattern; unknown ones become NOT_FOUND outcomes. Each process appears once.
std::vector<Outcome> resolve(supervisor::Supervisor& sup,
                             const std::vector<std::string>& patterns) {
  std::vector<Outcome> outcomes;
  for (const auto& pattern : patterns) {
    auto matched = sup.match(pattern);
    if (!matched) {
      outcomes.push_back({pattern, nullptr, matched.error()});
      continue;
    }
    for (Process* process : *matched) {
      bool seen = std::any_of(outcomes.begin(), outcomes.end(),
                              [&](const Outcome& o) { return o.process == process; });
      if (!seen) outcomes.push_back({process->name(), process, std::nullopt});
    }
  }
  return outcomes;
}

bool settled(ProcessState state) {
  return state == ProcessState::kStopped || state == ProcessState::kExited ||
         state == ProcessState::kFatal;
}

enum class Goal { kRunning, kStopped };

// Waits until every successful outcome reaches its goal (or fails to), then records failures.
asio::awaitable<void> await_goal(supervisor::Supervisor& sup, std::vector<Outcome>& outcomes,
                                 Goal goal, Clock::time_point deadline) {
  std::vector<std::string> names;
  for (const auto& outcome : outcomes) {
    if (!outcome.error) names.push_back(outcome.name);
  }
  std::map<std::string, std::uint64_t> runs_before;
  for (const auto& outcome : outcomes) runs_before[outcome.name] = outcome.runs_before;
  auto reached = [&sup, goal, runs_before](const std::string& name) {
    Process* process = sup.find(name);
    if (!process) return true;
    if (goal == Goal::kStopped) return settled(process->state());
    return process->state() != ProcessState::kStarting || process->runs() > runs_before.at(name);
  };
  // Named, not a temporary: GCC 12 mishandles capturing lambdas inside a co_await expression.
  std::function<bool()> all_reached = [names, reached] {
    return std::all_of(names.begin(), names.end(), reached);
  };
  co_await sup.wait_until(std::move(all_reached), deadline);
  for (auto& outcome : outcomes) {
    Process* process = outcome.error ? nullptr : sup.find(outcome.name);
    if (!process) continue;
    ProcessState state = process->state();
    if (goal == Goal::kRunning && process->runs() > outcome.runs_before) continue;  // it ran
    if (goal == Goal::kRunning && state == ProcessState::kStarting) {
      outcome.error = make_error(ErrorCode::kTimeout, outcome.name + ": still STARTING");
    } else if (goal == Goal::kRunning && state != ProcessState::kRunning) {
      std::string why = process->status().spawn_error;
      outcome.error = make_error(ErrorCode::kSpawnFailed,
                                 outcome.name + ": " + (why.empty() ? "did not start" : why))
                          .with("state", std::string(supervisor::state_name(state)));
    } else if (goal == Goal::kStopped && !settled(state)) {
      outcome.error =
          make_error(ErrorCode::kTimeout,
                     outcome.name + ": still " + std::string(supervisor::state_name(state)));
    }
  }
}

// By name: it also runs after a co_await, when a reload may have replaced an outcome's process.
Clock::time_point deadline_for(supervisor::Supervisor& sup, const std::vector<Outcome>& outcomes,
                               const proto::NamesParams& params, Goal goal) {
  if (params.timeout_ms) return Clock::now() + std::chrono::milliseconds(*params.timeout_ms);
  std::int64_t longest = 0;
  for (const auto& outcome : outcomes) {
    Process* process = outcome.error ? nullptr : sup.find(outcome.name);
    if (!process) continue;
    const auto& program = process->spec().program;
    longest =
        std::max(longest, goal == Goal::kRunning ? program.starttime_ms : program.stoptime_ms);
  }
  return Clock::now() + std::chrono::milliseconds(longest) + std::chrono::seconds(10);
}

// Asks each named process to start or stop, then (with `wait`) waits until each got there.
asio::awaitable<rpc::MethodResult> start_or_stop(ApiContext& context, json::value params,
                                                 Goal goal) {
  auto decoded = proto::decode_names_params(params, true);
  if (!decoded) co_return decoded.error();
  auto& sup = context.supervisor;
  auto outcomes = resolve(sup, decoded->names);
  for (auto& outcome : outcomes) {
    if (outcome.error) continue;
    outcome.runs_before = outcome.process->runs();
    auto done = goal == Goal::kRunning ? outcome.process->start() : outcome.process->stop();
    if (!done) outcome.error = done.error();
  }
  if (decoded->wait)
    co_await await_goal(sup, outcomes, goal, deadline_for(sup, outcomes, *decoded, goal));
  co_return encode_outcomes(outcomes, sup);
}

asio::awaitable<rpc::MethodResult> restart_programs(ApiContext& context, json::value params) {
  auto decoded = proto::decode_names_params(params, true);
  if (!decoded) co_return decoded.error();
  auto& sup = context.supervisor;
  auto outcomes = resolve(sup, decoded->names);
  for (auto& outcome : outcomes) {
    if (!outcome.error) (void)outcome.process->stop();  // "not running" is fine for a restart
  }
  co_await await_goal(sup, outcomes, Goal::kStopped,
                      deadline_for(sup, outcomes, *decoded, Goal::kStopped));
  for (auto& outcome : outcomes) {
    if (outcome.error) continue;
    Process* process = sup.find(outcome.name);  // look up again: a reload may have replaced it
    if (!process) {
      outcome.error = make_error(ErrorCode::kNotFound, "no such process: " + outcome.name);
      continue;
    }
    outcome.runs_before = process->runs();
    if (auto started = process->start(); !started) outcome.error = started.error();
  }
  if (decoded->wait) {
    co_await await_goal(sup, outcomes, Goal::kRunning,
                        deadline_for(sup, outcomes, *decoded, Goal::kRunning));
  }
  co_return encode_outcomes(outcomes, sup);
}

rpc::MethodResult status_programs(ApiContext& context, const json::value& params) {
  auto decoded = proto::decode_status_params(params);
  if (!decoded) return decoded.error();
  auto& sup = context.supervisor;
  json::array processes;
  json::array errors;
  std::vector<Process*> selected;
  if (decoded->names.empty()) {
    selected = sup.all();
  } else {
    for (const auto& outcome : resolve(sup, decoded->names)) {
      if (outcome.error) {
        json::object error = encode_error(*outcome.error);
        error.emplace("name", outcome.name);
        errors.push_back(std::move(error));
      } else {
        selected.push_back(outcome.process);
      }
    }
  }
  for (Process* process : selected) {
    processes.push_back(encode_status(process->status(), process->spec().program));
  }
  return json::object{{"processes", std::move(processes)}, {"errors", std::move(errors)}};
}

rpc::MethodResult signal_programs(ApiContext& context, const json::value& params) {
  auto decoded = proto::decode_signal_params(params);
  if (!decoded) return decoded.error();
  auto outcomes = resolve(context.supervisor, decoded->names);
  for (auto& outcome : outcomes) {
    if (outcome.error) continue;
    if (auto sent = outcome.process->send_signal(decoded->signal); !sent)
      outcome.error = sent.error();
  }
  return encode_outcomes(outcomes, context.supervisor);
}

rpc::MethodResult clear_programs(ApiContext& context, const json::value& params) {
  auto decoded = proto::decode_names_params(params, false);
  if (!decoded) return decoded.error();
  auto outcomes = resolve(context.supervisor, decoded->names);
  for (auto& outcome : outcomes) {
    if (outcome.error) continue;
    if (auto cleared = outcome.process->clear_logs(); !cleared) outcome.error = cleared.error();
  }
  return encode_outcomes(outcomes, context.supervisor);
}

rpc::MethodResult tail_program(ApiContext& context, const json::value& params) {
  auto decoded = proto::decode_tail_params(params);
  if (!decoded) return decoded.error();
  Process* process = context.supervisor.find(decoded->name);
  if (!process) {
    return make_error(ErrorCode::kNotFound, "no such process: " + decoded->name)
        .with("name", decoded->name);
  }
  const auto& program = process->spec().program;
  const auto& output = decoded->stream == "stdout" ? program.stdout_log : program.stderr_log;
  if (output.kind != OutputConfig::Kind::kFile) {
    return make_error(ErrorCode::kBadState, decoded->name + ": " + decoded->stream +
                                                " is not logged to a file (discard or merged)");
  }
  auto slice = supervisor::read_log_slice(output.path, decoded->offset, decoded->length);
  if (!slice) return slice.error();
  json::object out = encode_log_slice(output.path, *slice);
  out.emplace("name", decoded->name);
  out.emplace("stream", decoded->stream);
  return out;
}

rpc::MethodResult input_program(ApiContext& context, const json::value& params) {
  auto decoded = proto::decode_input_params(params);
  if (!decoded) return decoded.error();
  Process* process = context.supervisor.find(decoded->name);
  if (!process) {
    return make_error(ErrorCode::kNotFound, "no such process: " + decoded->name)
        .with("name", decoded->name);
  }
  auto written = process->write_stdin(decoded->data, decoded->eof);
  if (!written) return written.error();
  return json::object{{"name", decoded->name}, {"written", *written}};
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
                         return start_or_stop(context, p, Goal::kRunning);
                       });
  dispatcher.add_async(proto::method::kProgramsStop,
                       [&context](const json::value& p, const rpc::CallContext&) {
                         return start_or_stop(context, p, Goal::kStopped);
                       });
  dispatcher.add_async(proto::method::kProgramsRestart,
                       [&context](const json::value& p, const rpc::CallContext&) {
                         return restart_programs(context, p);
                       });
}

}  // namespace taskd::api
