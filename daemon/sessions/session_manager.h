// Agent sessions: one long-lived agent process per task, at most one task active, warm
// switching, prompts in and output out as events. SessionManager is the coordinator: it feeds
// each request and happening to the session's SessionMachine (the state table and its refusals)
// and carries out the effects with SessionStore (session.json), WarmPool (max_warm) and
// AgentLink (the agent line protocol).
#pragma once

#include "daemon/config/session_settings.h"
#include "daemon/sessions/agent_link.h"
#include "daemon/sessions/session_machine.h"
#include "daemon/sessions/session_store.h"
#include "daemon/sessions/warm_pool.h"
#include "proto/agent_protocol.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace taskd::sessions {

struct SessionEvent {
  std::string
      type;  // task_switch_started, task_ready, task_error, task_stopped, agent_output, agent_end
  std::string id;
  std::string code;                 // task_error; agent_end when session.json was not saved
  std::string message;              // task_error; agent_end when session.json was not saved
  std::string errno_name;           // agent_end when session.json was not saved ("ENOSPC")
  std::string reason;               // task_stopped: requested, reaped, shutdown
  std::string chunk;                // agent_output
  std::string usage_json = "null";  // agent_end
  int turn = 0;                     // agent_output, agent_end
};

struct SessionInfo {
  std::string id;
  SessionState state = SessionState::kMissing;
  pid_t pid = 0;
  std::int64_t last_activity_ms = 0;
  std::size_t turns = 0;
  bool turn_in_progress = false;
  std::string model;
  std::string thinking_level;
  std::string working_folder;
  std::string error;
};

struct OpenRequest {
  std::string id;
  std::optional<std::string> model;
  std::optional<std::string> thinking_level;
  std::optional<std::string> working_folder;
  std::vector<std::string> agent;   // empty: the session's earlier one, else [sessions] agent
  std::optional<std::string> user;  // kept for resumes; empty: [sessions] user
};

struct OpenResult {
  std::string mode;  // created, resumed, recovered
  SessionInfo info;
};

class SessionManager {
 public:
  using OnEvent = std::function<void(const SessionEvent&)>;

  SessionManager(boost::asio::io_context& io, process::Reaper& reaper, SessionSettings settings);

  // Sessions with a session.json on disk come back as stopped (agents are not re-adopted).
  void load();
  void on_event(OnEvent handler) { on_event_ = std::move(handler); }

  boost::asio::awaitable<Result<OpenResult>> open(OpenRequest request);
  // Checks the switch is allowed; the caller then runs finish_switch() after replying.
  Result<void> check_switch(const std::string& id) const;
  boost::asio::awaitable<void> finish_switch(std::string id);
  // The turn number of the prompt that was sent. With `expected_id`, the active session must be
  // that one (a client that thinks another session is active is told, not misrouted).
  Result<int> prompt(const std::string& message,
                     const std::optional<std::string>& expected_id = {});
  boost::asio::awaitable<Result<void>> stop(std::string id);
  boost::asio::awaitable<void> stop_all();

  std::vector<SessionInfo> list() const;
  std::optional<std::string> active() const { return active_; }
  std::size_t size() const { return sessions_.size(); }
  std::size_t warm() const;

 private:
  struct Session {
    std::string id;
    SessionMachine machine;
    proto::SessionRecord record;
    std::shared_ptr<AgentLink> agent;
    std::uint64_t generation = 0;  // one per agent launch: stale callbacks are ignored
    std::int64_t last_activity_ms = 0;
  };

  Session* find(const std::string& id);
  const Session* find(const std::string& id) const;
  Session* find(const std::string& id, std::uint64_t generation);
  SessionInfo info(const Session& session) const;
  Facts facts_of(const Session* session, std::string_view reason = {}) const;
  // The machine of `session`, or of a missing one: refusals are decided for both alike.
  SessionMachine machine_of(const Session* session) const;
  // Fires `input` and carries out the effects that need no waiting; the coroutines below carry
  // out the rest (room, save, launch, stop) where their row says so.
  const Transition* apply(Session& session, Input input, std::string_view reason = {});
  void activate(Session& session);
  void report_death(Session& session);
  void report_stopped(Session& session, std::string_view reason);
  Result<void> launch(Session& session);
  boost::asio::awaitable<Result<void>> start_agent(std::string id);
  boost::asio::awaitable<void> wait_ready(std::string id, std::uint64_t generation);
  boost::asio::awaitable<void> make_room(std::string keep);
  // Stops the agent after a row with kStopAgent fired, then feeds kStopped.
  boost::asio::awaitable<void> stop_agent(std::string id, std::string reason);
  void on_turn_end(const std::string& id, std::uint64_t generation, proto::SessionTurn turn);
  void on_output(const std::string& id, std::uint64_t generation, const std::string& chunk,
                 bool in_turn);
  void forget_unsaved(const std::string& id, bool created, proto::SessionRecord before);
  void emit(SessionEvent event);
  void touch(Session& session);
  void wake_waiters();

  boost::asio::io_context& io_;
  process::Reaper& reaper_;
  SessionSettings settings_;
  MachineSettings machine_settings_;
  SessionStore store_;
  WarmPool pool_;
  std::map<std::string, std::unique_ptr<Session>> sessions_;
  std::optional<std::string> active_;
  // The session that was active when its agent died: prompt() then says PI_PROCESS_DEAD with
  // the exit reason instead of "0 active", until another session becomes active.
  std::optional<std::string> died_active_;
  std::uint64_t next_generation_ = 1;
  std::vector<std::function<void()>> waiters_;
  OnEvent on_event_;
};

}  // namespace taskd::sessions
