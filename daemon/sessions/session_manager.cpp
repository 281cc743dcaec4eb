#include "daemon/sessions/session_manager.h"

#include "common/ids.h"
#include "common/log.h"
#include "common/wall_time.h"
#include "daemon/process/reaper.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace taskd::sessions {
namespace asio = boost::asio;
using S = SessionState;

namespace {

std::int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// agent_end; when session.json could not be written it says so (code, message, errno): the turn
// is kept in memory and saved with the next one, but it is not durable yet.
SessionEvent turn_end_event(const std::string& id, int turn, const std::string& usage_json,
                            const Result<void>& saved) {
  SessionEvent event{.type = "agent_end", .id = id, .usage_json = usage_json, .turn = turn};
  if (saved) return event;
  event.code = std::string(error_code_name(saved.error().code));
  event.message = saved.error().message;
  for (const auto& [key, value] : saved.error().data) {
    if (key == "errno") event.errno_name = value;
  }
  return event;
}

// The agent's command, directory, user and TASKD_* environment (docs/agents.md).
AgentLaunch launch_spec(const proto::SessionRecord& record, const std::string& dir,
                        const std::string& default_user) {
  AgentLaunch launch;
  launch.command.argv = record.agent;
  launch.command.cwd = dir + "/work";
  launch.stderr_log = dir + "/agent.stderr.log";
  launch.command.user = record.user.empty() ? default_user : record.user;
  launch.command.env = {{"TASKD_TASK_ID", record.id},
                        {"TASKD_SESSION_DIR", dir},
                        {"TASKD_MODEL", record.model},
                        {"TASKD_THINKING_LEVEL", record.thinking_level},
                        {"TASKD_WORKING_FOLDER", record.working_folder}};
  return launch;
}

bool refused(const Transition* row) { return row && row->refusal != Refusal::kNone; }

}  // namespace

SessionManager::SessionManager(asio::io_context& io, process::Reaper& reaper,
                               SessionSettings settings)
    : io_(io),
      reaper_(reaper),
      settings_(std::move(settings)),
      machine_settings_{settings_.wait_ready_line, settings_.switch_timeout_ms},
      store_(settings_.dir),
      pool_(settings_.max_warm) {}

void SessionManager::load() {
  for (auto& record : store_.load()) {
    std::string id = record.id;
    sessions_[id] = std::make_unique<Session>(
        Session{id, SessionMachine(machine_settings_, S::kStopped), std::move(record)});
  }
  if (!sessions_.empty())
    log(LogChannel::kSess).info("loaded {} stopped session(s) from disk", sessions_.size());
}

SessionManager::Session* SessionManager::find(const std::string& id) {
  auto found = sessions_.find(id);
  return found == sessions_.end() ? nullptr : found->second.get();
}

const SessionManager::Session* SessionManager::find(const std::string& id) const {
  auto found = sessions_.find(id);
  return found == sessions_.end() ? nullptr : found->second.get();
}

SessionManager::Session* SessionManager::find(const std::string& id, std::uint64_t generation) {
  Session* session = find(id);
  return session && session->generation == generation ? session : nullptr;
}

SessionInfo SessionManager::info(const Session& s) const {
  return SessionInfo{s.id,
                     s.machine.state(),
                     s.agent && s.agent->running() ? s.agent->pid() : 0,
                     s.last_activity_ms,
                     s.record.turns.size(),
                     s.agent && s.agent->turn_in_progress(),
                     s.record.model,
                     s.record.thinking_level,
                     s.record.working_folder,
                     s.machine.error()};
}

std::vector<SessionInfo> SessionManager::list() const {
  std::vector<SessionInfo> all;
  for (const auto& [id, session] : sessions_) all.push_back(info(*session));
  return all;
}

std::size_t SessionManager::warm() const {
  return static_cast<std::size_t>(
      std::count_if(sessions_.begin(), sessions_.end(),
                    [](const auto& entry) { return entry.second->machine.warm(); }));
}

Facts SessionManager::facts_of(const Session* session, std::string_view reason) const {
  Facts facts{.now_ms = steady_now_ms(), .reason = reason};
  if (!session) return facts;
  facts.turn_in_progress = session->agent && session->agent->turn_in_progress();
  facts.died_active = !active_ && died_active_ == session->id;
  return facts;
}

SessionMachine SessionManager::machine_of(const Session* session) const {
  return session ? session->machine : SessionMachine(machine_settings_);
}

void SessionManager::emit(SessionEvent event) {
  if (on_event_) on_event_(event);
}

void SessionManager::touch(Session& session) { session.last_activity_ms = unix_now_ms(); }

void SessionManager::wake_waiters() {
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& waiter : waiters) waiter();
}

const Transition* SessionManager::apply(Session& session, Input input, std::string_view reason) {
  const Transition* row = session.machine.fire(input, facts_of(&session, reason));
  if (!row || refused(row)) return row;
  if (row->effects & kKillAgent) session.agent.reset();  // kills its group
  if (row->effects & kActivate) activate(session);
  if (row->effects & kReportDeath) report_death(session);
  if (row->effects & kReportStopped) report_stopped(session, reason);
  if (row->effects & kWakeReadyWaiters) wake_waiters();
  if (row->effects & kTouch) touch(session);
  return row;
}

void SessionManager::activate(Session& session) {
  if (active_ && *active_ != session.id) {
    if (Session* previous = find(*active_)) apply(*previous, Input::kSwitchedAway);
  }
  active_ = session.id;
  died_active_.reset();
  emit(SessionEvent{.type = "task_ready", .id = session.id});
}

void SessionManager::report_death(Session& session) {
  if (active_ == session.id) {
    active_.reset();
    died_active_ = session.id;
  }
  log(LogChannel::kSess).warn("session {} {}", session.id, session.machine.error());
  emit(SessionEvent{.type = "task_error",
                    .id = session.id,
                    .code = std::string(error_code_name(ErrorCode::kPiProcessDead)),
                    .message = session.machine.error()});
}

void SessionManager::report_stopped(Session& session, std::string_view reason) {
  if (active_ == session.id) active_.reset();
  log(LogChannel::kSess).info("session {} stopped reason={}", session.id, reason);
  emit(SessionEvent{.type = "task_stopped", .id = session.id, .reason = std::string(reason)});
}

// A session.open whose session.json could not be written leaves no trace: a new session is
// forgotten (with the empty directories made for it), a resumed one keeps its old record.
void SessionManager::forget_unsaved(const std::string& id, bool created,
                                    proto::SessionRecord before) {
  Session* session = find(id);
  if (!session) return;
  if (!created) {
    session->record = std::move(before);
    return;
  }
  sessions_.erase(id);
  store_.remove_empty_dirs(id);
}

Result<void> SessionManager::launch(Session& session) {
  if (auto made = store_.make_dirs(session.id); !made) return made;
  auto agent = std::make_shared<AgentLink>(io_, reaper_);
  std::uint64_t generation = next_generation_++;
  std::string id = session.id;
  AgentLink::Handlers handlers{
      .on_ready =
          [this, id, generation] {
            if (Session* s = find(id, generation)) apply(*s, Input::kReadyLine);
          },
      .on_output = [this, id, generation](
                       const std::string& chunk,
                       bool in_turn) { on_output(id, generation, chunk, in_turn); },
      .on_turn_end = [this, id, generation](
                         proto::SessionTurn turn) { on_turn_end(id, generation, std::move(turn)); },
      .on_exit =
          [this, id, generation](int status) {
            Session* s = find(id, generation);
            if (!s) return;
            apply(*s, Input::kAgentExit, "agent died: " + process::describe_wait_status(status));
          },
  };
  auto pid = agent->start(launch_spec(session.record, store_.dir_of(id), settings_.user),
                          std::move(handlers));
  if (!pid) return pid.error();
  session.agent = std::move(agent);
  session.generation = generation;
  log(LogChannel::kSess).info("session {} agent started pid={}", id, *pid);
  return {};
}

// Until the session leaves creating or its ready deadline passes.
asio::awaitable<void> SessionManager::wait_ready(std::string id, std::uint64_t generation) {
  auto timer = std::make_shared<asio::steady_timer>(io_);
  for (;;) {
    Session* session = find(id, generation);
    if (!session || session->machine.state() != S::kCreating) co_return;
    std::int64_t left = session->machine.ready_deadline_ms() - steady_now_ms();
    if (left <= 0) co_return;
    timer->expires_after(std::chrono::milliseconds(left));
    waiters_.push_back([timer] { timer->cancel(); });
    co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

// Keeps the number of live agents under max_warm by stopping the least recently used session
// the table lets go (kEvict); never `keep`.
asio::awaitable<void> SessionManager::make_room(std::string keep) {
  while (pool_.full(warm())) {
    std::vector<WarmCandidate> candidates;
    for (const auto& [id, session] : sessions_) {
      if (id != keep && session->machine.decide(Input::kEvict, facts_of(session.get())))
        candidates.push_back(WarmCandidate{id, session->last_activity_ms});
    }
    auto victim = WarmPool::choose_victim(candidates);
    if (!victim) co_return;  // everything warm is busy: allow one more
    log(LogChannel::kSess)
        .info("reaping session {}: max_warm={} reached", *victim, pool_.max_warm());
    if (Session* session = find(*victim)) apply(*session, Input::kEvict);
    co_await stop_agent(*victim, "reaped");
  }
}

// Launches the agent and waits until it is ready; on failure the session is errored and its agent
// (if any) killed.
asio::awaitable<Result<void>> SessionManager::start_agent(std::string id) {
  Session* session = find(id);
  if (!session) co_return make_error(ErrorCode::kNotFound, "session " + id + " went away");
  if (auto launched = launch(*session); !launched) {
    apply(*session, Input::kSpawnFailed, launched.error().message);
    co_return launched.error();
  }
  apply(*session, Input::kSpawned);
  std::uint64_t generation = session->generation;
  co_await wait_ready(id, generation);
  std::string why = "the agent did not become ready within " +
                    std::to_string(settings_.switch_timeout_ms) + " ms";
  session = find(id, generation);
  if (session && !apply(*session, Input::kReadyWaitOver, why)) co_return Result<void>{};
  co_return make_error(ErrorCode::kTimeout, "session " + id + ": " + why);
}

asio::awaitable<Result<OpenResult>> SessionManager::open(OpenRequest request) {
  std::string id = request.id;
  if (!is_valid_task_id(id)) {
    co_return make_error(ErrorCode::kInvalidParams,
                         "session id must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}")
        .with("field", "id");
  }
  Session* session = find(id);
  SessionMachine machine = machine_of(session);
  const Transition* row = machine.decide(Input::kOpen, facts_of(session));
  if (refused(row)) co_return refusal_error(*row, id, machine.state(), machine.error());
  bool created = machine.state() == S::kMissing;
  std::string mode(row->text);
  proto::SessionRecord before = session ? session->record : proto::SessionRecord{};
  if (!session) {
    auto made = std::make_unique<Session>(Session{id, machine, {}});
    made->record.id = id;
    made->record.created_at_ms = unix_now_ms();
    session = made.get();
    sessions_[id] = std::move(made);
  }
  if (request.model) session->record.model = *request.model;
  if (request.thinking_level) session->record.thinking_level = *request.thinking_level;
  if (request.working_folder) session->record.working_folder = *request.working_folder;
  if (!request.agent.empty()) session->record.agent = request.agent;
  if (request.user) session->record.user = *request.user;
  if (session->record.agent.empty()) session->record.agent = settings_.agent;
  if (session->record.agent.empty()) {
    if (created) sessions_.erase(id);
    co_return make_error(ErrorCode::kInvalidParams,
                         "no agent command: set [sessions] agent or pass `agent`")
        .with("field", "agent");
  }
  if (row->effects & kMakeRoom) co_await make_room(id);
  if (!find(id)) co_return make_error(ErrorCode::kNotFound, "session " + id + " went away");
  // session.json exists from the start, not only after the first turn; no reply says
  // "created" unless it does.
  if (row->effects & kSaveRecord) {
    Result<void> saved = store_.make_dirs(id);
    if (saved) saved = store_.save(find(id)->record);
    if (!saved) {
      forget_unsaved(id, created, std::move(before));
      co_return saved.error();
    }
  }
  if (auto started = co_await start_agent(id); !started) co_return started.error();
  session = find(id);
  if (!session) co_return make_error(ErrorCode::kNotFound, "session " + id + " went away");
  log(LogChannel::kSess).info("session {} open mode={}", id, mode);
  co_return OpenResult{mode, info(*session)};
}

Result<void> SessionManager::check_switch(const std::string& id) const {
  const Session* session = find(id);
  SessionMachine machine = machine_of(session);
  const Transition* row = machine.decide(Input::kSwitch, facts_of(session));
  if (refused(row)) return refusal_error(*row, id, machine.state(), machine.error());
  return {};
}

asio::awaitable<void> SessionManager::finish_switch(std::string id) {
  emit(SessionEvent{.type = "task_switch_started", .id = id});
  Session* session = find(id);
  if (!session) co_return;
  const Transition* row = apply(*session, Input::kSwitch);
  if (!row || refused(row) || !(row->effects & kLaunch)) co_return;
  // A cold resume: launch, then switch to it once it is ready.
  if (row->effects & kMakeRoom) co_await make_room(id);
  session = find(id);
  if (!session || session->machine.state() != S::kStopped) co_return;
  if (auto started = co_await start_agent(id); !started) {
    emit(SessionEvent{.type = "task_error",
                      .id = id,
                      .code = std::string(error_code_name(ErrorCode::kSwitchTimeout)),
                      .message = started.error().message});
    co_return;
  }
  if (Session* resumed = find(id)) apply(*resumed, Input::kSwitch);
}

Result<int> SessionManager::prompt(const std::string& message,
                                   const std::optional<std::string>& expected_id) {
  // Aimed at the session the caller names, else the active one, else the one that died active.
  std::optional<std::string> target = expected_id ? expected_id : active_ ? active_ : died_active_;
  Session* session = target ? find(*target) : nullptr;
  SessionMachine machine = machine_of(session);
  const Transition* row = machine.decide(Input::kPrompt, facts_of(session));
  bool named = expected_id || active_;
  if (!named && (!row || row->refusal != Refusal::kAgentDead)) {
    return make_error(ErrorCode::kBadState, "prompt needs exactly one active session (0 active)")
        .with("state", "none active");
  }
  if (refused(row)) return refusal_error(*row, *target, machine.state(), machine.error());
  if (!session->agent || !session->agent->send_prompt(message)) {
    return make_error(ErrorCode::kPiProcessDead, "the agent of session " + session->id + " is gone")
        .with("id", session->id);
  }
  if (row->effects & kTouch) touch(*session);
  return static_cast<int>(session->record.turns.size() + 1);
}

void SessionManager::on_output(const std::string& id, std::uint64_t generation,
                               const std::string& chunk, bool in_turn) {
  Session* session = find(id, generation);
  if (!session) return;
  touch(*session);
  int turn = in_turn ? static_cast<int>(session->record.turns.size() + 1) : 0;
  emit(SessionEvent{.type = "agent_output", .id = id, .chunk = chunk, .turn = turn});
}

void SessionManager::on_turn_end(const std::string& id, std::uint64_t generation,
                                 proto::SessionTurn turn) {
  Session* session = find(id, generation);
  if (!session) return;
  int number = static_cast<int>(session->record.turns.size() + 1);
  std::string usage = turn.usage_json;
  session->record.turns.push_back(std::move(turn));
  touch(*session);
  emit(turn_end_event(id, number, usage, store_.save(session->record)));
}

asio::awaitable<void> SessionManager::stop_agent(std::string id, std::string reason) {
  Session* session = find(id);
  if (!session) co_return;
  if (auto agent = session->agent)
    co_await agent->stop(std::chrono::milliseconds(settings_.stop_grace_ms));
  session = find(id);
  if (!session) co_return;
  session->agent.reset();
  apply(*session, Input::kStopped, reason);
}

asio::awaitable<Result<void>> SessionManager::stop(std::string id) {
  Session* session = find(id);
  SessionMachine machine = machine_of(session);
  const Transition* row = machine.decide(Input::kStop, facts_of(session));
  if (refused(row)) co_return refusal_error(*row, id, machine.state(), machine.error());
  if (!(row->effects & kStopAgent)) co_return Result<void>{};  // a stop is under way
  apply(*session, Input::kStop);
  co_await stop_agent(id, "requested");
  co_return Result<void>{};
}

asio::awaitable<void> SessionManager::stop_all() {
  std::vector<std::string> warm_ids;
  for (const auto& [id, session] : sessions_) {
    if (session->agent && session->agent->running()) warm_ids.push_back(id);
  }
  for (const auto& id : warm_ids) {
    Session* session = find(id);
    if (!session) continue;
    const Transition* row = apply(*session, Input::kShutdown);
    if (row && (row->effects & kStopAgent)) co_await stop_agent(id, "shutdown");
  }
}

}  // namespace taskd::sessions
