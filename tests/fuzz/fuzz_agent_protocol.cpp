// Fuzzes proto/agent_protocol with what an agent controls: each line it writes on stdout (the
// input, as one line), and session.json (the input as a whole file). Prompts are encoded from the
// same bytes: whatever a client sends, the agent must get exactly one line back.
#include "common/text_encoding.h"
#include "fuzz_check.h"
#include "proto/agent_protocol.h"

#include <boost/json/parse.hpp>

#include <string>
#include <string_view>

namespace {

namespace json = boost::json;
using taskd::proto::AgentMessage;

void check_agent_line(std::string_view line) {
  AgentMessage message = taskd::proto::parse_agent_line(line);
  switch (message.type) {
    case AgentMessage::Type::kOther:
      FUZZ_CHECK(message.chunk == std::string(line) + "\n", "other lines pass through as output");
      break;
    case AgentMessage::Type::kEnd: {
      // forward_session_events parses usage_json back into the agent_end event.
      boost::system::error_code ec;
      (void)json::parse(message.usage_json, ec);
      FUZZ_CHECK(!ec, "usage_json is JSON");
      FUZZ_CHECK(message.chunk.empty(), "end carries no output");
      break;
    }
    case AgentMessage::Type::kReady: FUZZ_CHECK(message.chunk.empty(), "ready: no output"); break;
    case AgentMessage::Type::kOutput: break;
  }
}

void check_prompt(std::string_view message) {
  std::string line = taskd::proto::encode_prompt_line(message);
  FUZZ_CHECK(!line.empty() && line.back() == '\n', "a prompt line ends with a newline");
  FUZZ_CHECK(line.find('\n') == line.size() - 1, "a prompt is exactly one line");
  if (!taskd::is_valid_utf8(message)) return;  // prompts arrive as JSON strings: always UTF-8
  boost::system::error_code ec;
  json::value back = json::parse(line, ec);
  FUZZ_CHECK(!ec && back.is_object(), "a prompt line is a JSON object");
  const json::value* text = back.as_object().if_contains("message");
  FUZZ_CHECK(text && text->is_string() && text->get_string() == message,
             "the agent reads the prompt as sent");
}

// session.json as the session manager reads it at start, then rewrites it after a turn.
void check_session_file(std::string_view text) {
  auto record = taskd::proto::decode_session_file(text);
  if (!record) return;
  auto again = taskd::proto::decode_session_file(taskd::proto::encode_session_file(*record));
  FUZZ_CHECK(again.has_value(), "a session.json read is written back readable");
  FUZZ_CHECK(again->id == record->id && again->agent == record->agent &&
                 again->turns.size() == record->turns.size(),
             "session.json survives a rewrite");
  for (std::size_t i = 0; i < record->turns.size(); ++i) {
    FUZZ_CHECK(again->turns[i].prompt == record->turns[i].prompt &&
                   again->turns[i].output == record->turns[i].output,
               "turns survive a rewrite");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The framer never hands over the newline itself; a line is what is before it.
  check_agent_line(input.substr(0, input.find('\n')));
  check_prompt(input);
  check_session_file(input);
  return 0;
}
