// The ready announcement's wire form and the boot id it carries. (Delivery: integration tests.)
#include "daemon/rpc/announce.h"
#include "tests/support/process.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace taskd {
namespace {
namespace json = boost::json;

TEST(Announce, LineIsAReadyEventNotification) {
  std::string line = rpc::announce_line({"8ed055b9-a172-491b-a215-0fe12b869744", "1.2.3", 52});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  json::value message = json::parse(line);
  EXPECT_EQ(message.at("jsonrpc"), "2.0");
  EXPECT_EQ(message.at("method"), "event");
  EXPECT_FALSE(message.as_object().contains("id"));  // a notification: no reply expected
  const json::object& params = message.at("params").as_object();
  EXPECT_EQ(params.at("topic"), "daemon");
  EXPECT_EQ(params.at("type"), "ready");
  EXPECT_EQ(params.at("boot_id"), "8ed055b9-a172-491b-a215-0fe12b869744");
  EXPECT_EQ(params.at("version"), "1.2.3");
  EXPECT_EQ(params.at("vsock_port").to_number<int>(), 52);
  EXPECT_GT(params.at("time_ms").to_number<std::int64_t>(), 1'600'000'000'000);
}

TEST(Announce, BootId) {
  test::TempDir dir;
  test::write_file(dir.file("boot_id"), "0b7c2a9e-1f3d-4c52-9a8e-6d7f0e1c2b3a\n");
  EXPECT_EQ(rpc::read_boot_id(dir.file("boot_id")), "0b7c2a9e-1f3d-4c52-9a8e-6d7f0e1c2b3a");
  EXPECT_EQ(rpc::read_boot_id(dir.file("missing")), "unknown");
  EXPECT_EQ(rpc::read_boot_id().size(), 36u);  // the real one
}

}  // namespace
}  // namespace taskd
