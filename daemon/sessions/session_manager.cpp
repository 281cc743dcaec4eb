#include "daemon/sessions/session_manager.h"

#include "common/atomic_file.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/wall_time.h"
#include "daemon/process/reaper.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

namespace taskd::sessions {
namespace asio = boost::asio;
using S = SessionState;

namespace {

constexpr std::size_t kMaxTurnOutput = 1024 * 1024;

// error.data.errno: the symbolic name ("ENOSPC"), unless the error already has one.
Error with_errno(Error error, int number) {
  for (const auto& [key, value] : error.data) {
    if (key == "errno") return error;
  }
  const char* name = number > 0 ? ::strerrorname_np(number) : nullptr;
  return name ? std::move(error).with("errno", name) : error;
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

// session.json.tmp.PID files a crash left between write and rename: never state, only litter.
std::size_t remove_stale_temp_files(const std::string& dir) {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("session.json.tmp.") && ::unlink(entry.path().c_str()) == 0) ++removed;
  }
  return removed;
}

bool warm_state(S state) {
  return state == S::kCreating || state == S::kReady || state == S::kActive || state == S::kIdle;
}

}  // namespace

std::string_view session_state_name(SessionState state) {
  switch (state) {
    case S::kMissing: return "missing";
    case S::kCreating: return "creating";
    case S::kReady: return "ready";
    case S::kActive: return "active";
    case S::kIdle: return "idle";
    case S::kErrored: return "errored";
    case S::kStopped: return "stopped";
  }
  return "missing";
}

SessionManager::SessionManager(asio::io_context& io, process::Reaper& reaper,
                               SessionSettings settings)
    : io_(io), reaper_(reaper), settings_(std::move(settings)) {}

void SessionManager::load() {
  std::error_code ec;
  std::size_t stale = 0;
  for (const auto& entry : std::filesystem::directory_iterator(settings_.dir, ec)) {
    std::string id = entry.path().filename().string();
    if (!entry.is_directory() || !is_valid_task_id(id)) continue;
    stale += remove_stale_temp_files(entry.path().string());
    auto text = read_whole_file(entry.path().string() + "/session.json");
    if (!text) continue;
    auto record = proto::decode_session_file(*text);
    if (!record || record->id != id) {
      log(LogChannel::kSess).error("skipping unreadable session.json of {}", id);
      continue;
    }
    auto session = std::make_unique<Session>();
    session->id = id;
    session->state = S::kStopped;
    session->record = std::move(*record);
    sessions_[id] = std::move(session);
  }
  if (stale > 0) log(LogChannel::kSess).info("removed {} stale session.json.tmp file(s)", stale);
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
                     s.state,
                     s.agent && s.agent->running() ? s.agent->pid() : 0,
                     s.last_activity_ms,
                     s.record.turns.size(),
                     s.turn_in_progress,
                     s.record.model,
                     s.record.thinking_level,
                     s.record.working_folder,
                     s.error};
}

std::vector<SessionInfo> SessionManager::list() const {
  std::vector<SessionInfo> all;
  for (const auto& [id, session] : sessions_) all.push_back(info(*session));
  return all;
}

std::size_t SessionManager::warm() const {
  return static_cast<std::size_t>(
      std::count_if(sessions_.begin(), sessions_.end(),
                    [](const auto& entry) { return warm_state(entry.second->state); }));
}

Error SessionManager::bad_state(const Session* session, const std::string& id,
                                std::string_view want) const {
  std::string state(session_state_name(session ? session->state : S::kMissing));
  return make_error(ErrorCode::kBadState,
                    "session " + id + " is " + state + "; " + std::string(want))
      .with("state", state)
      .with("id", id);
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

Result<void> SessionManager::save(const Session& session) {
  auto saved = write_file_atomically(dir_of(session.id) + "/session.json",
                                     proto::encode_session_file(session.record));
  int error = errno;  // write_file_atomically returns with errno from the call that failed
  if (saved) return {};
  log(LogChannel::kSess).error("failed to save session {}: {}", session.id, saved.error().message);
  return with_errno(saved.error(), error);
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
  ::rmdir((dir_of(id) + "/work").c_str());  // only when empty: never anyone's files
  ::rmdir(dir_of(id).c_str());
}

Result<void> SessionManager::make_dirs(const std::string& id) {
  std::string dir = dir_of(id);
  std::error_code ec;
  std::filesystem::create_directories(dir + "/work", ec);
  if (ec) {
    return with_errno(
        make_error(ErrorCode::kIo, "failed to create " + dir + "/work: " + ec.message()),
        ec.value());
  }
  ::chmod(dir.c_str(), 0700);  // one session's files are not another's business
  return {};
}

Result<void> SessionManager::launch(Session& session) {
  std::string dir = dir_of(session.id);
  if (auto made = make_dirs(session.id); !made) return made;
  AgentLaunch launch;
  launch.command.argv = session.record.agent;
  launch.command.cwd = dir + "/work";
  launch.stderr_log = dir + "/agent.stderr.log";
  launch.command.user = session.record.user.empty() ? settings_.user : session.record.user;
  launch.command.env = {{"TASKD_TASK_ID", session.id},
                        {"TASKD_SESSION_DIR", dir},
                        {"TASKD_MODEL", session.record.model},
                        {"TASKD_THINKING_LEVEL", session.record.thinking_level},
                        {"TASKD_WORKING_FOLDER", session.record.working_folder}};
  auto agent = std::make_shared<AgentProcess>(io_, reaper_);
  std::uint64_t generation = next_generation_++;
  std::string id = session.id;
  auto pid = agent->start(
      launch,
      [this, id, generation](std::string_view line, bool complete) {
        on_agent_line(id, generation, line, complete);
      },
      [this, id, generation](int status) { on_agent_exit(id, generation, status); });
  if (!pid) return pid.error();
  session.agent = std::move(agent);
  session.generation = generation;
  session.stopping = false;
  session.error.clear();
  session.turn_in_progress = false;
  session.state = settings_.wait_ready_line ? S::kCreating : S::kReady;
  touch(session);
  log(LogChannel::kSess).info("session {} agent started pid={}", id, *pid);
  return {};
}

asio::awaitable<bool> SessionManager::wait_ready(std::string id, std::uint64_t generation) {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(settings_.switch_timeout_ms);
  auto timer = std::make_shared<asio::steady_timer>(io_);
  for (;;) {
    Session* session = find(id, generation);
    if (!session || session->state == S::kErrored || session->state == S::kStopped) co_return false;
    if (session->state != S::kCreating) co_return true;
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    timer->expires_at(deadline);
    waiters_.push_back([timer] { timer->cancel(); });
    co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

// Keeps the number of live agents under max_warm by stopping the least recently used session
// that is ready or idle; never the active one, never `keep`.
asio::awaitable<void> SessionManager::make_room(std::string keep) {
  while (warm() >= settings_.max_warm) {
    const Session* victim = nullptr;
    for (const auto& [id, session] : sessions_) {
      bool reapable = (session->state == S::kIdle || session->state == S::kReady) && id != keep &&
                      !session->stopping;
      if (reapable && (!victim || session->last_activity_ms < victim->last_activity_ms))
        victim = session.get();
    }
    if (!victim) co_return;  // everything warm is busy: allow one more
    std::string victim_id = victim->id;
    log(LogChannel::kSess)
        .info("reaping session {}: max_warm={} reached", victim_id, settings_.max_warm);
    co_await stop_agent(victim_id, "reaped");
  }
}

// Launches the agent and waits until it is ready; on failure the session is errored and its agent
// (if any) killed.
asio::awaitable<Result<void>> SessionManager::start_agent(std::string id) {
  Session* session = find(id);
  if (!session) co_return make_error(ErrorCode::kNotFound, "session " + id + " went away");
  if (auto launched = launch(*session); !launched) {
    session->state = S::kErrored;
    session->error = launched.error().message;
    co_return launched.error();
  }
  std::uint64_t generation = session->generation;
  bool ready = co_await wait_ready(id, generation);
  session = find(id, generation);
  if (ready && session) co_return Result<void>{};
  std::string why = "the agent did not become ready within " +
                    std::to_string(settings_.switch_timeout_ms) + " ms";
  if (session) {
    session->state = S::kErrored;
    session->error = why;
    session->agent.reset();  // kills its group
  }
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
  S from = session ? session->state : S::kMissing;
  if (from != S::kMissing && from != S::kStopped && from != S::kErrored) {
    co_return bad_state(session, id, "open needs missing, stopped or errored");
  }
  proto::SessionRecord before = session ? session->record : proto::SessionRecord{};
  if (!session) {
    auto created = std::make_unique<Session>();
    created->id = id;
    created->record.id = id;
    created->record.created_at_ms = unix_now_ms();
    session = created.get();
    sessions_[id] = std::move(created);
  }
  if (request.model) session->record.model = *request.model;
  if (request.thinking_level) session->record.thinking_level = *request.thinking_level;
  if (request.working_folder) session->record.working_folder = *request.working_folder;
  if (!request.agent.empty()) session->record.agent = request.agent;
  if (request.user) session->record.user = *request.user;
  if (session->record.agent.empty()) session->record.agent = settings_.agent;
  if (session->record.agent.empty()) {
    if (from == S::kMissing) sessions_.erase(id);
    co_return make_error(ErrorCode::kInvalidParams,
                         "no agent command: set [sessions] agent or pass `agent`")
        .with("field", "agent");
  }
  co_await make_room(id);
  session = find(id);
  if (!session) co_return make_error(ErrorCode::kNotFound, "session " + id + " went away");
  // session.json exists from the start, not only after the first turn; no reply says
  // "created" unless it does.
  Result<void> saved = make_dirs(id);
  if (saved) saved = save(*session);
  if (!saved) {
    forget_unsaved(id, from == S::kMissing, std::move(before));
    co_return saved.error();
  }
  if (auto started = co_await start_agent(id); !started) co_return started.error();
  session = find(id);
  if (!session) co_return make_error(ErrorCode::kNotFound, "session " + id + " went away");
  std::string mode = from == S::kMissing   ? "created"
                     : from == S::kStopped ? "resumed"
                                           : "recovered";
  log(LogChannel::kSess).info("session {} open mode={}", id, mode);
  co_return OpenResult{mode, info(*session)};
}

Result<void> SessionManager::check_switch(const std::string& id) const {
  const Session* session = find(id);
  if (!session) return bad_state(nullptr, id, "open it first");
  S state = session->state;
  if (state == S::kReady || state == S::kIdle || state == S::kActive || state == S::kStopped)
    return {};
  return bad_state(session, id, "switch needs ready, idle or stopped");
}

asio::awaitable<void> SessionManager::finish_switch(std::string id) {
  emit(SessionEvent{.type = "task_switch_started", .id = id});
  Session* session = find(id);
  if (!session) co_return;
  if (session->state == S::kStopped) {  // cold resume
    co_await make_room(id);
    session = find(id);
    if (!session || session->state != S::kStopped) co_return;
    if (auto started = co_await start_agent(id); !started) {
      emit(SessionEvent{.type = "task_error",
                        .id = id,
                        .code = "SWITCH_TIMEOUT",
                        .message = started.error().message});
      co_return;
    }
    session = find(id);
    if (!session) co_return;
  }
  if (session->state != S::kReady && session->state != S::kIdle && session->state != S::kActive)
    co_return;
  if (active_ && *active_ != id) {
    if (Session* previous = find(*active_); previous && previous->state == S::kActive)
      previous->state = S::kIdle;
  }
  session->state = S::kActive;
  active_ = id;
  died_active_.reset();
  touch(*session);
  emit(SessionEvent{.type = "task_ready", .id = id});
}

Result<int> SessionManager::prompt(const std::string& message,
                                   const std::optional<std::string>& expected_id) {
  if (!active_ && died_active_ && (!expected_id || *expected_id == *died_active_)) {
    if (const Session* dead = find(*died_active_); dead && dead->state == S::kErrored) {
      return make_error(ErrorCode::kPiProcessDead, "session " + dead->id + ": " + dead->error)
          .with("id", dead->id)
          .with("state", "errored");
    }
  }
  if (expected_id && (!active_ || *active_ != *expected_id)) {
    return bad_state(find(*expected_id), *expected_id, "prompts go to the active session only");
  }
  std::size_t active_count = static_cast<std::size_t>(
      std::count_if(sessions_.begin(), sessions_.end(),
                    [](const auto& entry) { return entry.second->state == S::kActive; }));
  if (active_count != 1 || !active_) {
    return make_error(ErrorCode::kBadState, "prompt needs exactly one active session (" +
                                                std::to_string(active_count) + " active)")
        .with("state", active_count == 0 ? "none active" : "several active");
  }
  Session* session = find(*active_);
  if (session->turn_in_progress) {
    return make_error(ErrorCode::kBadState,
                      "session " + session->id + " is still answering the previous prompt")
        .with("state", "active")
        .with("id", session->id);
  }
  if (!session->agent || !session->agent->write(proto::encode_prompt_line(message))) {
    return make_error(ErrorCode::kPiProcessDead, "the agent of session " + session->id + " is gone")
        .with("id", session->id);
  }
  session->turn_in_progress = true;
  session->turn = proto::SessionTurn{message, "", "null", unix_now_ms(), 0};
  touch(*session);
  return static_cast<int>(session->record.turns.size() + 1);
}

void SessionManager::on_agent_line(const std::string& id, std::uint64_t generation,
                                   std::string_view line, bool complete) {
  Session* session = find(id, generation);
  if (!session) return;
  proto::AgentMessage message;
  if (complete) {
    message = proto::parse_agent_line(line);
  } else {
    message.chunk = std::string(line);
  }
  int turn = static_cast<int>(session->record.turns.size() + 1);
  switch (message.type) {
    case proto::AgentMessage::Type::kReady:
      if (session->state == S::kCreating) {
        session->state = S::kReady;
        wake_waiters();
      }
      return;
    case proto::AgentMessage::Type::kEnd: {
      if (!session->turn_in_progress) return;  // an end without a prompt: nothing to close
      session->turn.usage_json = message.usage_json;
      session->turn.ended_at_ms = unix_now_ms();
      session->record.turns.push_back(std::move(session->turn));
      session->turn_in_progress = false;
      touch(*session);
      emit(turn_end_event(id, turn, message.usage_json, save(*session)));
      return;
    }
    case proto::AgentMessage::Type::kOutput:
    case proto::AgentMessage::Type::kOther:
      if (session->turn_in_progress && session->turn.output.size() < kMaxTurnOutput) {
        session->turn.output.append(
            message.chunk.substr(0, kMaxTurnOutput - session->turn.output.size()));
      }
      touch(*session);
      emit(SessionEvent{.type = "agent_output",
                        .id = id,
                        .chunk = message.chunk,
                        .turn = session->turn_in_progress ? turn : 0});
      return;
  }
}

void SessionManager::on_agent_exit(const std::string& id, std::uint64_t generation,
                                   int wait_status) {
  Session* session = find(id, generation);
  if (!session || session->stopping) return;
  std::string status = process::describe_wait_status(wait_status);
  session->state = S::kErrored;
  session->error = "agent died: " + status;
  session->turn_in_progress = false;  // an unfinished turn is lost, as documented
  if (active_ == id) {
    active_.reset();
    died_active_ = id;
  }
  log(LogChannel::kSess).warn("session {} agent died: {}", id, status);
  wake_waiters();
  emit(SessionEvent{
      .type = "task_error", .id = id, .code = "PI_PROCESS_DEAD", .message = session->error});
}

asio::awaitable<void> SessionManager::stop_agent(std::string id, std::string reason) {
  Session* session = find(id);
  if (!session) co_return;
  session->stopping = true;
  if (auto agent = session->agent)
    co_await agent->stop(std::chrono::milliseconds(settings_.stop_grace_ms));
  session = find(id);
  if (!session) co_return;
  session->agent.reset();
  session->state = S::kStopped;
  session->turn_in_progress = false;
  session->stopping = false;
  if (active_ == id) active_.reset();
  wake_waiters();
  log(LogChannel::kSess).info("session {} stopped reason={}", id, reason);
  emit(SessionEvent{.type = "task_stopped", .id = id, .reason = reason});
}

asio::awaitable<Result<void>> SessionManager::stop(std::string id) {
  Session* session = find(id);
  S state = session ? session->state : S::kMissing;
  if (state != S::kReady && state != S::kActive && state != S::kIdle && state != S::kErrored) {
    co_return bad_state(session, id, "stop needs ready, active, idle or errored");
  }
  if (session->stopping) co_return Result<void>{};
  co_await stop_agent(id, "requested");
  co_return Result<void>{};
}

asio::awaitable<void> SessionManager::stop_all() {
  std::vector<std::string> warm_ids;
  for (const auto& [id, session] : sessions_) {
    if (session->agent && session->agent->running()) warm_ids.push_back(id);
  }
  for (const auto& id : warm_ids) co_await stop_agent(id, "shutdown");
}

}  // namespace taskd::sessions
