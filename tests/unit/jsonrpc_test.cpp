#include "proto/jsonrpc.h"
#include "proto/error_codes.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace taskd::proto {
namespace {

const json::object& error_reply(const Incoming& item) {
  EXPECT_TRUE(std::holds_alternative<json::object>(item));
  return std::get<json::object>(item);
}

int error_code(const Incoming& item) {
  return static_cast<int>(error_reply(item).at("error").at("code").as_int64());
}

TEST(JsonRpc, ValidRequest) {
  auto parsed = parse_line(R"({"jsonrpc":"2.0","id":7,"method":"daemon.health","params":{"a":1}})");
  ASSERT_EQ(parsed.items.size(), 1u);
  EXPECT_FALSE(parsed.is_batch);
  const auto& request = std::get<Request>(parsed.items[0]);
  EXPECT_EQ(request.method, "daemon.health");
  EXPECT_EQ(request.id->as_int64(), 7);
  EXPECT_FALSE(request.is_notification());
  EXPECT_EQ(request.params.at("a").as_int64(), 1);
}

TEST(JsonRpc, StringAndNullIdsAreRequests) {
  auto parsed = parse_line(R"({"jsonrpc":"2.0","id":"abc","method":"m"})");
  EXPECT_EQ(std::get<Request>(parsed.items[0]).id->as_string(), "abc");
  parsed = parse_line(R"({"jsonrpc":"2.0","id":null,"method":"m"})");
  EXPECT_FALSE(std::get<Request>(parsed.items[0]).is_notification());
}

TEST(JsonRpc, NotificationHasNoId) {
  auto parsed = parse_line(R"({"jsonrpc":"2.0","method":"events.subscribe"})");
  EXPECT_TRUE(std::get<Request>(parsed.items[0]).is_notification());
}

TEST(JsonRpc, Batch) {
  auto parsed =
      parse_line(R"([{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"},5])");
  EXPECT_TRUE(parsed.is_batch);
  ASSERT_EQ(parsed.items.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<Request>(parsed.items[0]));
  EXPECT_TRUE(std::get<Request>(parsed.items[1]).is_notification());
  EXPECT_EQ(error_code(parsed.items[2]), kInvalidRequest);
}

TEST(JsonRpc, BatchOfNotifications) {
  auto parsed = parse_line(R"([{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}])");
  ASSERT_EQ(parsed.items.size(), 2u);
  for (const auto& item : parsed.items) EXPECT_TRUE(std::get<Request>(item).is_notification());
}

TEST(JsonRpc, EmptyBatchIsInvalidRequest) {
  auto parsed = parse_line("[]");
  ASSERT_EQ(parsed.items.size(), 1u);
  EXPECT_FALSE(parsed.is_batch);
  EXPECT_EQ(error_code(parsed.items[0]), kInvalidRequest);
}

TEST(JsonRpc, MalformedJsonIsParseError) {
  for (const char* line : {"{", "{\"jsonrpc\":", "nope", "{\"a\":1}}", "\xff\xfe"}) {
    auto parsed = parse_line(line);
    ASSERT_EQ(parsed.items.size(), 1u) << line;
    EXPECT_EQ(error_code(parsed.items[0]), kParseError) << line;
    EXPECT_TRUE(error_reply(parsed.items[0]).at("id").is_null());
  }
}

TEST(JsonRpc, NonObjectIsInvalidRequest) {
  for (const char* line : {"1", "\"text\"", "null", "true"}) {
    auto parsed = parse_line(line);
    EXPECT_EQ(error_code(parsed.items[0]), kInvalidRequest) << line;
  }
}

TEST(JsonRpc, MissingOrWrongVersion) {
  EXPECT_EQ(error_code(parse_line(R"({"id":1,"method":"m"})").items[0]), kInvalidRequest);
  auto parsed = parse_line(R"({"jsonrpc":"1.0","id":1,"method":"m"})");
  EXPECT_EQ(error_code(parsed.items[0]), kInvalidRequest);
  EXPECT_EQ(error_reply(parsed.items[0]).at("id").as_int64(), 1);  // the id is still echoed
}

TEST(JsonRpc, WrongIdTypes) {
  for (const char* id : {"{}", "[1]", "true"}) {
    auto parsed = parse_line(std::string(R"({"jsonrpc":"2.0","method":"m","id":)") + id + "}");
    EXPECT_EQ(error_code(parsed.items[0]), kInvalidRequest) << id;
    EXPECT_TRUE(error_reply(parsed.items[0]).at("id").is_null());
  }
}

TEST(JsonRpc, MethodAndParamsTypes) {
  EXPECT_EQ(error_code(parse_line(R"({"jsonrpc":"2.0","id":1,"method":5})").items[0]),
            kInvalidRequest);
  EXPECT_EQ(error_code(parse_line(R"({"jsonrpc":"2.0","id":1})").items[0]), kInvalidRequest);
  EXPECT_EQ(error_code(parse_line(R"({"jsonrpc":"2.0","id":1,"method":"m","params":3})").items[0]),
            kInvalidRequest);
}

TEST(JsonRpc, BlankLineIsIgnored) {
  EXPECT_TRUE(parse_line("").items.empty());
  EXPECT_TRUE(parse_line("  \r").items.empty());
}

TEST(JsonRpc, DeepNestingIsRejectedNotCrashed) {
  std::string deep(10000, '[');
  EXPECT_EQ(error_code(parse_line(deep).items[0]), kParseError);
}

TEST(JsonRpc, ErrorsCarryStableCodeStrings) {
  auto reply = make_error(7, make_error(ErrorCode::kNotFound, "no such program").with("name", "x"));
  EXPECT_EQ(reply.at("error").at("code").as_int64(), -32001);
  EXPECT_EQ(reply.at("error").at("data").at("code").as_string(), "NOT_FOUND");
  EXPECT_EQ(reply.at("error").at("data").at("name").as_string(), "x");
  EXPECT_EQ(reply.at("id").as_int64(), 7);
}

TEST(JsonRpc, EveryErrorCodeHasOneTableEntry) {
  for (const auto& info : error_code_table()) {
    EXPECT_EQ(rpc_code(info.code), info.rpc_code);
    EXPECT_FALSE(error_code_name(info.code).empty());
  }
  EXPECT_EQ(rpc_code(ErrorCode::kMethodNotFound), kMethodNotFound);
  EXPECT_EQ(rpc_code(ErrorCode::kInvalidParams), kInvalidParams);
}

TEST(JsonRpc, ResultAndNotificationShape) {
  auto reply = make_result("a", {{"ok", true}});
  EXPECT_EQ(serialize(reply), R"({"jsonrpc":"2.0","id":"a","result":{"ok":true}})");
  auto note = make_notification("event", {{"topic", "process"}});
  EXPECT_EQ(serialize(note), R"({"jsonrpc":"2.0","method":"event","params":{"topic":"process"}})");
}

}  // namespace
}  // namespace taskd::proto
