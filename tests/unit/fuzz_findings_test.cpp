// Regression tests for what the fuzzers in tests/fuzz found: each input here crashed a fuzz
// target (or broke one of its properties) before its fix.
#include "proto/agent_protocol.h"
#include "proto/jsonrpc.h"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <string>

namespace taskd {
namespace {

namespace json = boost::json;

bool parses_as_json(const std::string& text) {
  boost::system::error_code ec;
  (void)json::parse(text, ec);
  return !ec;
}

// fuzz_jsonrpc: Boost.JSON reads 1e4008 as infinity and writes it back as `Infinity`, which is
// not JSON, so the reply echoing such an id was a line no client can parse.
TEST(FuzzFindings, JsonRpcRequestWithAnInfiniteIdGetsAParseableError) {
  for (const char* id : {"1e4008", "-1e400"}) {
    auto parsed = proto::parse_line(std::string(R"({"jsonrpc":"2.0","method":"daemon.health","id":)") +
                                    id + "}");
    ASSERT_EQ(parsed.items.size(), 1u) << id;
    ASSERT_TRUE(std::holds_alternative<json::object>(parsed.items[0])) << id;
    const json::object& reply = std::get<json::object>(parsed.items[0]);
    EXPECT_EQ(reply.at("error").at("code").as_int64(), -32600) << id;
    EXPECT_TRUE(reply.at("id").is_null()) << id;
    EXPECT_TRUE(parses_as_json(proto::serialize(reply))) << id;
  }
  // A finite number id is still echoed as it came.
  auto parsed = proto::parse_line(R"({"jsonrpc":"2.0","method":"daemon.health","id":1.5e300})");
  ASSERT_TRUE(std::holds_alternative<proto::Request>(parsed.items[0]));
}

// fuzz_agent_protocol: an agent's `usage` with 1e400 in it became usage_json text with
// `Infinity`, which the agent_end event and session.json then failed to parse.
TEST(FuzzFindings, AgentUsageWithAnInfiniteNumberStaysJson) {
  auto message = proto::parse_agent_line(
      R"({"type":"end","usage":{"input_tokens":1e4003,"cost":-1e400,"list":[1e999,2],"ok":1}})");
  ASSERT_EQ(message.type, proto::AgentMessage::Type::kEnd);
  ASSERT_TRUE(parses_as_json(message.usage_json)) << message.usage_json;
  EXPECT_EQ(json::parse(message.usage_json),
            json::parse(R"({"input_tokens":null,"cost":null,"list":[null,2],"ok":1})"));
}

TEST(FuzzFindings, SessionFileUsageWithAnInfiniteNumberStaysJson) {
  auto record = proto::decode_session_file(
      R"({"version":1,"id":"s","turns":[{"prompt":"p","usage":{"n":1e400}}]})");
  ASSERT_TRUE(record.has_value());
  ASSERT_EQ(record->turns.size(), 1u);
  EXPECT_TRUE(parses_as_json(record->turns[0].usage_json)) << record->turns[0].usage_json;
}

}  // namespace
}  // namespace taskd
