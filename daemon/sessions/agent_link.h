// The agent line protocol (docs/agents.md) over one AgentProcess: prompt lines out; ready,
// output and end lines in; the turn in progress (its prompt, up to 1 MiB of its output, its
// times) from the prompt to its end line. TurnAccount is the pure part, so the protocol is
// unit-tested without a process; AgentLink wires it to the agent.
#pragma once

#include "common/error.h"
#include "daemon/sessions/agent_process.h"
#include "proto/agent_protocol.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace taskd::sessions {

// What one line from the agent means.
struct AgentLine {
  enum class Kind { kReady, kOutput, kTurnEnd, kIgnored };
  Kind kind = Kind::kIgnored;
  std::string chunk;                       // kOutput
  bool in_turn = false;                    // kOutput: part of the turn in progress
  std::optional<proto::SessionTurn> turn;  // kTurnEnd: the finished turn
};

class TurnAccount {
 public:
  static constexpr std::size_t kMaxTurnOutput = 1024 * 1024;

  void begin(std::string prompt, std::int64_t now_ms);
  // complete = false: a piece of an over-long line, always output.
  AgentLine take(std::string_view line, bool complete, std::int64_t now_ms);
  bool in_progress() const { return turn_.has_value(); }
  void drop() { turn_.reset(); }  // an unfinished turn is lost with its agent

 private:
  std::optional<proto::SessionTurn> turn_;
};

class AgentLink : public std::enable_shared_from_this<AgentLink> {
 public:
  struct Handlers {
    std::function<void()> on_ready;
    std::function<void(const std::string& chunk, bool in_turn)> on_output;
    std::function<void(proto::SessionTurn turn)> on_turn_end;
    std::function<void(int wait_status)> on_exit;
  };

  AgentLink(boost::asio::io_context& io, process::Reaper& reaper);

  Result<pid_t> start(const AgentLaunch& launch, Handlers handlers);
  // Sends the prompt line and opens a turn; false when the agent is gone.
  bool send_prompt(const std::string& message);
  bool turn_in_progress() const { return turns_.in_progress(); }
  boost::asio::awaitable<void> stop(std::chrono::milliseconds grace);
  bool running() const { return process_->running(); }
  pid_t pid() const { return process_->pid(); }

 private:
  void on_line(std::string_view line, bool complete);

  std::shared_ptr<AgentProcess> process_;
  Handlers handlers_;
  TurnAccount turns_;
};

}  // namespace taskd::sessions
