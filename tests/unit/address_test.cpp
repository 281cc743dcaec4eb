#include "common/address.h"

#include <gtest/gtest.h>

namespace taskd {
namespace {

TEST(Address, UnixWithSchemeAndBarePath) {
  auto a = parse_address("unix:/run/taskd.sock");
  ASSERT_TRUE(a);
  EXPECT_EQ(std::get<UnixAddress>(*a).path, "/run/taskd.sock");
  auto b = parse_address("./taskd.sock");
  ASSERT_TRUE(b);
  EXPECT_EQ(std::get<UnixAddress>(*b).path, "./taskd.sock");
  EXPECT_EQ(to_string(*a), "unix:/run/taskd.sock");
}

TEST(Address, Vsock) {
  auto a = parse_address("vsock:3:52");
  ASSERT_TRUE(a);
  EXPECT_EQ(std::get<VsockAddress>(*a).cid, 3u);
  EXPECT_EQ(std::get<VsockAddress>(*a).port, 52u);
  auto any = parse_address("vsock:any:52");
  ASSERT_TRUE(any);
  EXPECT_EQ(std::get<VsockAddress>(*any).cid, kVsockCidAny);
  EXPECT_EQ(to_string(*any), "vsock:any:52");
}

TEST(Address, FirecrackerPathMayContainColons) {
  auto a = parse_address("fc:/tmp/vm:1/v.sock:52");
  ASSERT_TRUE(a);
  EXPECT_EQ(std::get<FirecrackerAddress>(*a).uds_path, "/tmp/vm:1/v.sock");
  EXPECT_EQ(std::get<FirecrackerAddress>(*a).port, 52u);
  EXPECT_EQ(to_string(*a), "fc:/tmp/vm:1/v.sock:52");
}

TEST(Address, Rejects) {
  for (const char* bad : {"", "unix:", "vsock:3", "vsock:x:52", "vsock:3:", "vsock:3:99999999999",
                          "fc:/x", "fc::52", "fc:/x:port", "vsok:3:52", "tcp:1.2.3.4:5"}) {
    auto parsed = parse_address(bad);
    EXPECT_FALSE(parsed) << bad;
    if (!parsed) {
      EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidParams);
    }
  }
  EXPECT_FALSE(parse_address("unix:/" + std::string(200, 'a')));
}

}  // namespace
}  // namespace taskd
