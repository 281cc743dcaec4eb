#include "daemon/sessions/agent_link.h"

#include "common/wall_time.h"

namespace taskd::sessions {
namespace asio = boost::asio;
using Type = proto::AgentMessage::Type;

void TurnAccount::begin(std::string prompt, std::int64_t now_ms) {
  turn_ = proto::SessionTurn{std::move(prompt), "", "null", now_ms, 0};
}

AgentLine TurnAccount::take(std::string_view line, bool complete, std::int64_t now_ms) {
  proto::AgentMessage message;
  if (complete) {
    message = proto::parse_agent_line(line);
  } else {
    message.chunk = std::string(line);
  }
  AgentLine out;
  switch (message.type) {
    case Type::kReady: out.kind = AgentLine::Kind::kReady; return out;
    case Type::kEnd:
      if (!turn_) return out;  // an end without a prompt: nothing to close
      turn_->usage_json = message.usage_json;
      turn_->ended_at_ms = now_ms;
      out.kind = AgentLine::Kind::kTurnEnd;
      out.turn = std::move(turn_);
      turn_.reset();
      return out;
    case Type::kOutput:
    case Type::kOther:
      // Output outside a turn (a banner) is passed on but recorded nowhere.
      if (turn_ && turn_->output.size() < kMaxTurnOutput)
        turn_->output.append(message.chunk.substr(0, kMaxTurnOutput - turn_->output.size()));
      out.kind = AgentLine::Kind::kOutput;
      out.chunk = std::move(message.chunk);
      out.in_turn = turn_.has_value();
      return out;
  }
  return out;
}

AgentLink::AgentLink(asio::io_context& io, process::Reaper& reaper)
    : process_(std::make_shared<AgentProcess>(io, reaper)) {}

Result<pid_t> AgentLink::start(const AgentLaunch& launch, Handlers handlers) {
  handlers_ = std::move(handlers);
  // The process may outlive this link for a moment (a write or stop in flight): its callbacks
  // reach the link only while it exists.
  std::weak_ptr<AgentLink> weak = weak_from_this();
  return process_->start(
      launch,
      [weak](std::string_view line, bool complete) {
        if (auto self = weak.lock()) self->on_line(line, complete);
      },
      [weak](int status) {
        auto self = weak.lock();
        if (!self) return;
        self->turns_.drop();
        if (self->handlers_.on_exit) self->handlers_.on_exit(status);
      });
}

bool AgentLink::send_prompt(const std::string& message) {
  if (!process_->write(proto::encode_prompt_line(message))) return false;
  turns_.begin(message, unix_now_ms());
  return true;
}

asio::awaitable<void> AgentLink::stop(std::chrono::milliseconds grace) {
  return process_->stop(grace);  // the process keeps itself alive until it is gone
}

void AgentLink::on_line(std::string_view line, bool complete) {
  AgentLine taken = turns_.take(line, complete, unix_now_ms());
  switch (taken.kind) {
    case AgentLine::Kind::kReady:
      if (handlers_.on_ready) handlers_.on_ready();
      return;
    case AgentLine::Kind::kOutput:
      if (handlers_.on_output) handlers_.on_output(taken.chunk, taken.in_turn);
      return;
    case AgentLine::Kind::kTurnEnd:
      if (handlers_.on_turn_end) handlers_.on_turn_end(std::move(*taken.turn));
      return;
    case AgentLine::Kind::kIgnored: return;
  }
}

}  // namespace taskd::sessions
