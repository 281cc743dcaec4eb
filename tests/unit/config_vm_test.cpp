// The [daemon] keys of the microVM work: vsock_port (unset vs 0), vsock_allow_cids, announce.
#include "daemon/config/config.h"
#include "tests/support/config_helpers.h"

#include <gtest/gtest.h>

namespace taskd {
namespace {

using test::expect_error;
using test::parse;

TEST(ConfigVm, VsockPortUnsetIsNotZero) {
  auto unset = parse("[daemon]\n");
  ASSERT_TRUE(unset);
  EXPECT_FALSE(unset->daemon.vsock_port.has_value());  // the default depends on init mode
  auto off = parse("[daemon]\nvsock_port = 0\n");
  ASSERT_TRUE(off);
  EXPECT_EQ(off->daemon.vsock_port, 0u);
  auto on = parse("[daemon]\nvsock_port = 52\nvsock_allow_cids = [2, 1]\n");
  ASSERT_TRUE(on);
  EXPECT_EQ(on->daemon.vsock_port, 52u);
  EXPECT_EQ(on->daemon.vsock_allow_cids, (std::vector<std::uint32_t>{2, 1}));
  EXPECT_EQ(unset->daemon.vsock_allow_cids, (std::vector<std::uint32_t>{2}));
}

TEST(ConfigVm, VsockErrors) {
  expect_error("[daemon]\nvsock_port = -1\n", ":2: daemon.vsock_port: must be an integer");
  expect_error("[daemon]\nvsock_port = \"52\"\n", ":2: daemon.vsock_port:");
  expect_error("[daemon]\nvsock_allow_cids = 2\n", ":2: daemon.vsock_allow_cids: must be an array");
  expect_error("[daemon]\nvsock_allow_cids = [\"host\"]\n", "daemon.vsock_allow_cids:");
}

TEST(ConfigVm, AnnounceTargets) {
  auto vsock = parse("[daemon]\nannounce = \"vsock:2:1024\"\n");
  ASSERT_TRUE(vsock) << vsock.error().message;
  EXPECT_EQ(vsock->daemon.announce, "vsock:2:1024");
  EXPECT_TRUE(parse("[daemon]\nannounce = \"unix:/run/host.sock\"\n"));
  expect_error("[daemon]\nannounce = \"fc:/x/v.sock:52\"\n",
               ":2: daemon.announce: must be a vsock:");
  expect_error("[daemon]\nannounce = \"vsock:any:52\"\n", ":2: daemon.announce: must be a vsock:");
  expect_error("[daemon]\nannounce = \"vsock:2\"\n", ":2: daemon.announce:");
}

}  // namespace
}  // namespace taskd
