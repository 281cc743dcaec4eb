// The agent line protocol and the session.json format (proto/agent_protocol): what an agent may
// print is untrusted, so every line is classified without failing, and session files round-trip.
#include "proto/agent_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace taskd::proto {
namespace {

using Type = AgentMessage::Type;

TEST(AgentProtocol, OutputLinesCarryTheirChunk) {
  auto message = parse_agent_line(R"({"type":"output","chunk":"hello\nworld"})");
  EXPECT_EQ(message.type, Type::kOutput);
  EXPECT_EQ(message.chunk, "hello\nworld");
}

TEST(AgentProtocol, EndLinesCarryUsageAsJsonText) {
  auto with_usage = parse_agent_line(R"({"type":"end","usage":{"tokens":12,"cost":0.5}})");
  EXPECT_EQ(with_usage.type, Type::kEnd);
  EXPECT_EQ(with_usage.usage_json, R"({"tokens":12,"cost":5E-1})");
  EXPECT_TRUE(with_usage.chunk.empty());
  auto without = parse_agent_line(R"({"type":"end"})");
  EXPECT_EQ(without.type, Type::kEnd);
  EXPECT_EQ(without.usage_json, "null");
}

TEST(AgentProtocol, UsageThatIsNotFiniteBecomesNullNotInvalidJson) {
  auto message = parse_agent_line(R"({"type":"end","usage":{"big":1e400,"list":[-1e999]}})");
  EXPECT_EQ(message.type, Type::kEnd);
  EXPECT_EQ(message.usage_json, R"({"big":null,"list":[null]})");
}

TEST(AgentProtocol, ReadyLine) {
  auto message = parse_agent_line(R"({"type":"ready"})");
  EXPECT_EQ(message.type, Type::kReady);
  EXPECT_TRUE(message.chunk.empty());
}

TEST(AgentProtocol, AnythingElseIsForwardedAsRawOutput) {
  for (std::string line :
       {std::string("plain text"), std::string("{not json"), std::string("[1,2]"),
        std::string(R"({"type":"output"})"), std::string(R"({"type":"output","chunk":7})"),
        std::string(R"({"type":5})"), std::string(R"({"type":"prompt","message":"x"})"),
        std::string(R"({"chunk":"no type"})"), std::string(""), std::string("\xff\xfe")}) {
    auto message = parse_agent_line(line);
    EXPECT_EQ(message.type, Type::kOther) << line;
    EXPECT_EQ(message.chunk, line + "\n") << line;
  }
}

TEST(AgentProtocol, PromptLinesAreOneJsonLineWhateverTheMessage) {
  EXPECT_EQ(encode_prompt_line("hi"), "{\"type\":\"prompt\",\"message\":\"hi\"}\n");
  std::string line = encode_prompt_line("two\nlines \"quoted\" \\ and \x01");
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "a newline inside the message must be escaped";
  EXPECT_NE(line.find(R"(two\nlines \"quoted\" \\ and \u0001)"), std::string::npos) << line;
}

SessionRecord sample_record() {
  SessionRecord record;
  record.id = "task-1";
  record.model = "m";
  record.thinking_level = "high";
  record.working_folder = "/srv/w";
  record.agent = {"/bin/agent", "--flag"};
  record.user = "nobody";
  record.created_at_ms = 1764000000123;
  SessionTurn turn;
  turn.prompt = "do it";
  turn.output = "done\n";
  turn.usage_json = R"({"tokens":3})";
  turn.started_at_ms = 1764000001000;
  turn.ended_at_ms = 1764000002000;
  record.turns.push_back(turn);
  return record;
}

TEST(SessionFile, RoundTrips) {
  SessionRecord record = sample_record();
  auto decoded = decode_session_file(encode_session_file(record));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->id, record.id);
  EXPECT_EQ(decoded->model, record.model);
  EXPECT_EQ(decoded->thinking_level, record.thinking_level);
  EXPECT_EQ(decoded->working_folder, record.working_folder);
  EXPECT_EQ(decoded->agent, record.agent);
  EXPECT_EQ(decoded->user, record.user);
  EXPECT_EQ(decoded->created_at_ms, record.created_at_ms);
  ASSERT_EQ(decoded->turns.size(), 1u);
  EXPECT_EQ(decoded->turns[0].prompt, "do it");
  EXPECT_EQ(decoded->turns[0].output, "done\n");
  EXPECT_EQ(decoded->turns[0].usage_json, R"({"tokens":3})");
  EXPECT_EQ(decoded->turns[0].started_at_ms, 1764000001000);
  EXPECT_EQ(decoded->turns[0].ended_at_ms, 1764000002000);
}

TEST(SessionFile, DamagedFilesAreErrorsNotCrashes) {
  std::string good = encode_session_file(sample_record());
  for (std::string text : {std::string(""), std::string("{"), std::string("[]"),
                           std::string("null"), good.substr(0, good.size() / 2),
                           std::string(R"({"id":5})"), std::string(R"({"version":2,"id":"x"})"),
                           std::string(R"({"version":1,"id":"x","turns":[{"prompt":1}]})")}) {
    EXPECT_FALSE(decode_session_file(text)) << text;
  }
}

}  // namespace
}  // namespace taskd::proto
