#include "daemon/supervisor/control.h"

#include "daemon/supervisor/process.h"
#include "daemon/supervisor/supervisor.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <utility>

namespace taskd::supervisor {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

enum class Goal { kRunning, kStopped };

// An outcome in the making, with Process::runs() when its start was asked for.
struct Pending {
  Outcome outcome;
  std::uint64_t runs_before = 0;
};

// Every pattern resolved; an unknown one becomes a NOT_FOUND outcome. Each process appears once.
std::vector<Pending> resolve(Supervisor& sup, const std::vector<std::string>& patterns) {
  std::vector<Pending> pending;
  std::vector<Process*> seen;
  for (const auto& pattern : patterns) {
    auto matched = sup.match(pattern);
    if (!matched) {
      pending.push_back({Outcome{pattern, matched.error()}});
      continue;
    }
    for (Process* process : *matched) {
      if (std::find(seen.begin(), seen.end(), process) != seen.end()) continue;
      seen.push_back(process);
      pending.push_back({Outcome{process->name()}});
    }
  }
  return pending;
}

// Fills in where each process stands now.
std::vector<Outcome> finish(Supervisor& sup, std::vector<Pending> pending) {
  std::vector<Outcome> outcomes;
  for (auto& entry : pending) {
    Outcome outcome = std::move(entry.outcome);
    if (Process* process = sup.find(outcome.name)) {
      outcome.state = process->state();
      outcome.pid = process->pid();
    }
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

Clock::time_point deadline_for(Supervisor& sup, const std::vector<Pending>& pending,
                               const WaitOptions& options, Goal goal) {
  if (options.timeout_ms) return Clock::now() + std::chrono::milliseconds(*options.timeout_ms);
  std::int64_t longest = 0;
  for (const auto& entry : pending) {
    Process* process = entry.outcome.error ? nullptr : sup.find(entry.outcome.name);
    if (!process) continue;
    const auto& program = process->spec().program;
    longest =
        std::max(longest, goal == Goal::kRunning ? program.starttime_ms : program.stoptime_ms);
  }
  return settle_deadline(std::chrono::milliseconds(longest));
}

// Started: it reached RUNNING since the request (even if that run has ended), or it is no longer
// STARTING (BACKOFF, FATAL: it failed). Stopped: settled. A process that is gone counts as there.
bool reached(Supervisor& sup, const std::string& name, std::uint64_t runs_before, Goal goal) {
  Process* process = sup.find(name);
  if (!process) return true;
  if (goal == Goal::kStopped) return is_settled(process->state());
  return process->state() != ProcessState::kStarting || process->runs() > runs_before;
}

std::optional<Error> goal_error(const Process& process, Goal goal, std::uint64_t runs_before) {
  ProcessState state = process.state();
  std::string state_text(state_name(state));
  if (goal == Goal::kStopped) {
    if (is_settled(state)) return std::nullopt;
    return make_error(ErrorCode::kTimeout, process.name() + ": still " + state_text);
  }
  if (process.runs() > runs_before) return std::nullopt;
  if (state == ProcessState::kStarting) {
    return make_error(ErrorCode::kTimeout, process.name() + ": still STARTING");
  }
  if (state == ProcessState::kRunning) return std::nullopt;
  std::string why = process.status().spawn_error;
  return make_error(ErrorCode::kSpawnFailed,
                    process.name() + ": " + (why.empty() ? "did not start" : why))
      .with("state", state_text);
}

// Waits until every pending request without an error reached its goal (or failed to), then
// records the failures.
asio::awaitable<std::vector<Pending>> await_goal(Supervisor& sup, std::vector<Pending> pending,
                                                 Goal goal, Clock::time_point deadline) {
  std::vector<std::pair<std::string, std::uint64_t>> watched;
  for (const auto& entry : pending) {
    if (!entry.outcome.error) watched.emplace_back(entry.outcome.name, entry.runs_before);
  }
  // Named, not a temporary: GCC 12 mishandles capturing lambdas inside a co_await expression.
  std::function<bool()> all_reached = [&sup, watched, goal] {
    return std::all_of(watched.begin(), watched.end(),
                       [&](const auto& w) { return reached(sup, w.first, w.second, goal); });
  };
  co_await sup.wait_until(std::move(all_reached), deadline);
  for (auto& entry : pending) {
    Process* process = entry.outcome.error ? nullptr : sup.find(entry.outcome.name);
    if (process) entry.outcome.error = goal_error(*process, goal, entry.runs_before);
  }
  co_return pending;
}

// Asks each process to start (or stop); a refusal is its outcome.
void request(Supervisor& sup, std::vector<Pending>& pending, Goal goal) {
  for (auto& entry : pending) {
    if (entry.outcome.error) continue;
    Process* process = sup.find(entry.outcome.name);
    if (!process) {
      entry.outcome.error =
          make_error(ErrorCode::kNotFound, "no such process: " + entry.outcome.name);
      continue;
    }
    entry.runs_before = process->runs();
    auto done = goal == Goal::kRunning ? process->start() : process->stop();
    if (!done) entry.outcome.error = done.error();
  }
}

asio::awaitable<std::vector<Outcome>> start_or_stop(Supervisor& sup,
                                                    std::vector<std::string> patterns,
                                                    WaitOptions options, Goal goal) {
  std::vector<Pending> pending = resolve(sup, patterns);
  request(sup, pending, goal);
  if (options.wait) {
    Clock::time_point deadline = deadline_for(sup, pending, options, goal);
    pending = co_await await_goal(sup, std::move(pending), goal, deadline);
  }
  co_return finish(sup, std::move(pending));
}

}  // namespace

asio::awaitable<std::vector<Outcome>> start_processes(Supervisor& sup,
                                                      std::vector<std::string> patterns,
                                                      WaitOptions options) {
  return start_or_stop(sup, std::move(patterns), options, Goal::kRunning);
}

asio::awaitable<std::vector<Outcome>> stop_processes(Supervisor& sup,
                                                     std::vector<std::string> patterns,
                                                     WaitOptions options) {
  return start_or_stop(sup, std::move(patterns), options, Goal::kStopped);
}

asio::awaitable<std::vector<Outcome>> restart_processes(Supervisor& sup,
                                                        std::vector<std::string> patterns,
                                                        WaitOptions options) {
  std::vector<Pending> pending = resolve(sup, patterns);
  for (const auto& entry : pending) {
    if (entry.outcome.error) continue;
    if (Process* process = sup.find(entry.outcome.name)) (void)process->stop();  // may not run
  }
  Clock::time_point stopped_by = deadline_for(sup, pending, options, Goal::kStopped);
  pending = co_await await_goal(sup, std::move(pending), Goal::kStopped, stopped_by);
  request(sup, pending, Goal::kRunning);  // by name again: a reload may have replaced them
  if (options.wait) {
    Clock::time_point started_by = deadline_for(sup, pending, options, Goal::kRunning);
    pending = co_await await_goal(sup, std::move(pending), Goal::kRunning, started_by);
  }
  co_return finish(sup, std::move(pending));
}

std::vector<Outcome> signal_processes(Supervisor& sup, const std::vector<std::string>& patterns,
                                      int signal) {
  std::vector<Pending> pending = resolve(sup, patterns);
  for (auto& entry : pending) {
    if (entry.outcome.error) continue;
    if (auto sent = sup.find(entry.outcome.name)->send_signal(signal); !sent)
      entry.outcome.error = sent.error();
  }
  return finish(sup, std::move(pending));
}

std::vector<Outcome> clear_process_logs(Supervisor& sup, const std::vector<std::string>& patterns) {
  std::vector<Pending> pending = resolve(sup, patterns);
  for (auto& entry : pending) {
    if (entry.outcome.error) continue;
    if (auto cleared = sup.find(entry.outcome.name)->clear_logs(); !cleared)
      entry.outcome.error = cleared.error();
  }
  return finish(sup, std::move(pending));
}

Selection select_processes(Supervisor& sup, const std::vector<std::string>& patterns) {
  Selection selection;
  if (patterns.empty()) {
    selection.processes = sup.all();
    return selection;
  }
  for (auto& entry : resolve(sup, patterns)) {
    if (entry.outcome.error) {
      selection.not_found.push_back(std::move(entry.outcome));
    } else {
      selection.processes.push_back(sup.find(entry.outcome.name));
    }
  }
  return selection;
}

Result<Process*> find_process(Supervisor& sup, std::string_view name) {
  if (Process* process = sup.find(name)) return process;
  return make_error(ErrorCode::kNotFound, "no such process: " + std::string(name))
      .with("name", std::string(name));
}

Result<LogTail> tail_process_log(Supervisor& sup, std::string_view name, std::string_view stream,
                                 std::optional<std::int64_t> offset, std::int64_t length) {
  auto process = find_process(sup, name);
  if (!process) return process.error();
  const auto& program = (*process)->spec().program;
  const auto& output = stream == "stdout" ? program.stdout_log : program.stderr_log;
  if (output.kind != OutputConfig::Kind::kFile) {
    return make_error(ErrorCode::kBadState, std::string(name) + ": " + std::string(stream) +
                                                " is not logged to a file (discard or merged)");
  }
  auto slice = read_log_slice(output.path, offset, length);
  if (!slice) return slice.error();
  return LogTail{output.path, std::move(*slice)};
}

}  // namespace taskd::supervisor
