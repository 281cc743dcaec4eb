// The shipped microVM files say what docs/firecracker.md promises: rootfs/firecracker.json boots
// taskd as init with 1 vCPU, 256 MiB and a vsock (guest CID 3, a host socket), and the guest's
// rootfs/taskd.toml is valid and listens on vsock port 52 for the host only.
#include "daemon/config/config.h"
#include "tests/support/process.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace taskd {
namespace {
namespace json = boost::json;

// Not __FILE__: with CCACHE_BASEDIR (used by .ci/build) it is relative to the build directory.
std::string repo_file(const std::string& relative) {
  return std::string(TASKD_SOURCE_DIR) + "/" + relative;
}

TEST(RootfsFiles, FirecrackerJsonDescribesTheGuest) {
  std::string text = test::read_file(repo_file("rootfs/firecracker.json"));
  ASSERT_FALSE(text.empty());
  boost::system::error_code ec;
  json::value vm = json::parse(text, ec);
  ASSERT_FALSE(ec) << "rootfs/firecracker.json is not JSON: " << ec.message();
  std::string boot_args(vm.at("boot-source").at("boot_args").as_string());
  EXPECT_NE(boot_args.find("init=/sbin/taskd"), std::string::npos) << boot_args;
  // Poweroff becomes a reset on Firecracker (no ACPI S5): reboot=k makes that reset one
  // Firecracker traps and exits on.
  EXPECT_NE(boot_args.find("reboot=k"), std::string::npos) << boot_args;
  const auto& drive = vm.at("drives").as_array().at(0);
  EXPECT_TRUE(drive.at("is_root_device").as_bool());
  EXPECT_EQ(drive.at("path_on_host"), "rootfs.ext4");
  EXPECT_EQ(vm.at("machine-config").at("vcpu_count").as_int64(), 1);
  EXPECT_EQ(vm.at("machine-config").at("mem_size_mib").as_int64(), 256);
  EXPECT_EQ(vm.at("vsock").at("guest_cid").as_int64(), 3);
  EXPECT_EQ(vm.at("vsock").at("uds_path"), "v.sock");
}

TEST(RootfsFiles, GuestConfigListensOnVsockForTheHost) {
  auto config = load_config(repo_file("rootfs/taskd.toml"));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->daemon.vsock_port, 52u);
  EXPECT_EQ(config->daemon.vsock_allow_cids, (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(config->daemon.data_dir, "/run/taskd");  // a tmpfs: no state kept between VMs
  ASSERT_EQ(config->programs.size(), 1u);
  EXPECT_EQ(config->programs[0].name, "heartbeat");
}

}  // namespace
}  // namespace taskd
