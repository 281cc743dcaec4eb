// The pure decisions of PID 1 mode: what to mount, which reboot(2) command, how the kernel's
// leftover arguments are treated. (The real thing: tests/integration/init_test.cpp in a PID
// namespace, and tests/e2e in a VM.)
#include "daemon/init/pid1.h"

#include <gtest/gtest.h>

#include <sys/reboot.h>

#include <set>

namespace taskd::init {
namespace {

std::vector<std::string> targets(const std::vector<MountSpec>& mounts) {
  std::vector<std::string> out;
  for (const auto& m : mounts) out.emplace_back(m.target);
  return out;
}

TEST(Pid1Mounts, AllOnABareRootInOrder) {
  auto needed = mounts_needed(basic_mounts(), [](const std::string&) { return false; });
  EXPECT_EQ(targets(needed), (std::vector<std::string>{"/proc", "/sys", "/dev", "/dev/pts",
                                                       "/dev/shm", "/run", "/tmp"}));
  EXPECT_STREQ(needed[2].fstype, "devtmpfs");
  EXPECT_STREQ(needed[6].fstype, "tmpfs");
}

TEST(Pid1Mounts, SkipsWhatIsMountedAlready) {
  std::set<std::string> mounted = {"/proc", "/dev", "/tmp"};  // e.g. CONFIG_DEVTMPFS_MOUNT
  auto needed =
      mounts_needed(basic_mounts(), [&](const std::string& p) { return mounted.count(p) > 0; });
  EXPECT_EQ(targets(needed), (std::vector<std::string>{"/sys", "/dev/pts", "/dev/shm", "/run"}));
}

TEST(Pid1Power, RebootCommand) {
  // A real VM that can power off, and one that cannot (Firecracker on x86: reset ends the VMM).
  EXPECT_EQ(reboot_command(PowerAction::kPowerOff, true, true), RB_POWER_OFF);
  EXPECT_EQ(reboot_command(PowerAction::kPowerOff, true, false), RB_AUTOBOOT);
  // In a PID namespace reboot(2) only ends the namespace: say what was asked.
  EXPECT_EQ(reboot_command(PowerAction::kPowerOff, false, false), RB_POWER_OFF);
  EXPECT_EQ(reboot_command(PowerAction::kHalt, true, false), RB_HALT_SYSTEM);
  EXPECT_EQ(reboot_command(PowerAction::kReboot, true, true), RB_AUTOBOOT);
}

TEST(Pid1CommandLine, NotPid1IsStrict) {
  EXPECT_FALSE(parse_command_line({"--init", "splash"}, false));
}

TEST(Pid1CommandLine, AsPid1KernelLeftoversAreIgnored) {
  auto cli = parse_command_line({"splash", "-c", "/etc/vm.toml", "single", "--foreground"}, true);
  ASSERT_TRUE(cli);
  EXPECT_EQ(cli->config_path, "/etc/vm.toml");
  EXPECT_TRUE(cli->foreground);
}

TEST(Pid1CommandLine, AsPid1HopelessArgumentsGiveDefaults) {
  auto cli = parse_command_line({"--bogus-option"}, true);
  ASSERT_TRUE(cli);
  EXPECT_FALSE(cli->config_explicit);
}

}  // namespace
}  // namespace taskd::init
