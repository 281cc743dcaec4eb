#include "proto/params.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace taskd::proto {
namespace {

std::string field_of(const Error& error) {
  for (const auto& [key, value] : error.data) {
    if (key == "field") return value;
  }
  return "";
}

TEST(Params, DecodesTypedFields) {
  auto params =
      json::parse(R"({"name":"web","count":3,"flag":true,"list":["a","b"],"env":{"A":"1"}})");
  std::string name;
  int count = 0;
  bool flag = false;
  std::vector<std::string> list;
  std::map<std::string, std::string> env;
  std::optional<int> absent;
  Fields fields(params);
  fields.required("name", name).optional("count", count).optional("flag", flag);
  fields.optional("list", list).optional("env", env).optional("absent", absent);
  ASSERT_TRUE(fields.finish());
  EXPECT_EQ(name, "web");
  EXPECT_EQ(count, 3);
  EXPECT_TRUE(flag);
  EXPECT_EQ(list, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(env.at("A"), "1");
  EXPECT_FALSE(absent);
}

TEST(Params, MissingFieldIsNamed) {
  auto params = json::parse(R"({})");
  std::string name;
  Fields fields(params);
  fields.required("name", name);
  auto done = fields.finish();
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidParams);
  EXPECT_EQ(field_of(done.error()), "name");
  EXPECT_NE(done.error().message.find("'name' is required"), std::string::npos);
}

TEST(Params, WrongTypeIsNamed) {
  auto params = json::parse(R"({"timeout_ms":"soon"})");
  std::uint32_t timeout = 0;
  Fields fields(params, "spec");
  fields.optional("timeout_ms", timeout);
  auto done = fields.finish();
  ASSERT_FALSE(done);
  EXPECT_EQ(field_of(done.error()), "spec.timeout_ms");
}

TEST(Params, RangeIsChecked) {
  auto params = json::parse(R"({"n":-1,"m":4294967296})");
  std::uint32_t n = 0;
  Fields fields(params);
  fields.optional("n", n);
  EXPECT_FALSE(fields.finish());
  std::uint32_t m = 0;
  Fields second(params);
  second.optional("m", m);
  EXPECT_FALSE(second.ok());
}

TEST(Params, UnknownFieldIsRejected) {
  auto params = json::parse(R"({"name":"x","nmae":"y"})");
  std::string name;
  Fields fields(params);
  fields.required("name", name);
  auto done = fields.finish();
  ASSERT_FALSE(done);
  EXPECT_EQ(field_of(done.error()), "nmae");
}

TEST(Params, ArrayParamsAreRejected) {
  auto params = json::parse(R"([1,2])");
  Fields fields(params);
  EXPECT_FALSE(fields.finish());
}

TEST(Params, NullParamsAreAnEmptyObject) {
  Fields fields(json::value(nullptr));
  EXPECT_TRUE(fields.finish());
}

}  // namespace
}  // namespace taskd::proto
