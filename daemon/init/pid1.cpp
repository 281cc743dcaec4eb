#include "daemon/init/pid1.h"

#include "common/log.h"
#include "daemon/init/link_protections.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <thread>

namespace taskd::init {
namespace {

constexpr unsigned long kNoSuidDevExec = MS_NOSUID | MS_NODEV | MS_NOEXEC;
constexpr MountSpec kBasicMounts[] = {
    {"/proc", "proc", kNoSuidDevExec, nullptr},
    {"/sys", "sysfs", kNoSuidDevExec, nullptr},
    {"/dev", "devtmpfs", MS_NOSUID, "mode=0755"},
    {"/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666"},
    {"/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"},
    {"/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"},
    {"/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"},
};

// The inode of /proc/self/ns/pid in the kernel's first PID namespace (PROC_PID_INIT_INO).
constexpr ino_t kInitialPidNamespaceInode = 0xEFFFFFFCU;
constexpr auto kStopGrace = std::chrono::seconds(5);
constexpr auto kKillGrace = std::chrono::seconds(2);

std::atomic<bool> g_active{false};
std::atomic<PowerAction> g_action{PowerAction::kPowerOff};

spdlog::logger& logger() { return log(LogChannel::kMain); }

bool is_mount_point(const std::string& path) {
  struct stat self {
  }, parent{};
  if (::stat(path.c_str(), &self) != 0) return false;
  if (::stat((path + "/..").c_str(), &parent) != 0) return false;
  return self.st_dev != parent.st_dev || self.st_ino == parent.st_ino;
}

void mount_basics() {
  for (const MountSpec& spec : mounts_needed(basic_mounts(), is_mount_point)) {
    if (::mkdir(spec.target, 0755) != 0 && errno != EEXIST) {
      logger().warn("init: failed to create {}: {}", spec.target, std::strerror(errno));
      continue;
    }
    if (::mount(spec.fstype, spec.target, spec.fstype, spec.flags, spec.data) != 0) {
      logger().warn("init: failed to mount {} on {}: {}", spec.fstype, spec.target,
                    std::strerror(errno));
      continue;
    }
    logger().info("init: mounted {} on {}", spec.fstype, spec.target);
  }
}

// Without /dev/console in the root file system the kernel starts init with fds 0-2 closed; the
// first sockets would then become "stdout" and log lines would land in a client's stream.
void ensure_stdio() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0) continue;
    int opened = ::open("/dev/console", O_RDWR | O_NOCTTY);
    if (opened < 0) opened = ::open("/dev/null", O_RDWR);
    if (opened >= 0 && opened != fd) {
      ::dup2(opened, fd);
      ::close(opened);
    }
  }
}

bool in_initial_pid_namespace() {
  struct stat ns {};
  if (::stat("/proc/self/ns/pid", &ns) != 0) return true;  // no /proc: assume the real thing
  return ns.st_ino == kInitialPidNamespaceInode;
}

void set_link_protections(bool pid1) {
  if (!sets_link_protections(pid1, in_initial_pid_namespace())) {
    if (pid1) logger().info("init: in a PID namespace: leaving fs.protected_* to the host");
    return;
  }
  auto failures = write_sysctls("/proc/sys", link_protections());
  for (const auto& failure : failures) {
    logger().warn("init: failed to set {}", failure);
  }
  if (failures.empty())
    logger().info("init: set fs.protected_{{symlinks,hardlinks,regular,fifos}}");
}

// Whether reboot(RB_POWER_OFF) can really switch the machine off, rather than halt it. On x86 that
// takes ACPI with an S5 sleep state; Firecracker has none, QEMU and Cloud Hypervisor do.
bool kernel_can_power_off() {
#if defined(__x86_64__) || defined(__i386__)
  std::ifstream dsdt("/sys/firmware/acpi/tables/DSDT", std::ios::binary);
  if (!dsdt) return false;
  std::string table((std::istreambuf_iterator<char>(dsdt)), std::istreambuf_iterator<char>());
  return table.find("_S5_") != std::string::npos;
#else
  return true;  // arm64: PSCI SYSTEM_OFF, which Firecracker handles
#endif
}

// Reaps every child until none is left or `grace` passed; true when none is left.
bool reap_all(std::chrono::steady_clock::duration grace) {
  auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    pid_t pid;
    while ((pid = ::waitpid(-1, nullptr, WNOHANG)) > 0) {
    }
    if (pid < 0 && errno == ECHILD) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void stop_remaining_processes() {
  // As PID 1, kill(-1) reaches every process of this PID namespace except ourselves.
  if (::kill(-1, SIGTERM) != 0) return;  // ESRCH: nothing left
  ::kill(-1, SIGCONT);                   // stopped processes must run to see SIGTERM
  logger().info("init: sent SIGTERM to remaining processes");
  if (reap_all(kStopGrace)) return;
  logger().warn("init: processes left after {} s; sending SIGKILL",
                std::chrono::duration_cast<std::chrono::seconds>(kStopGrace).count());
  ::kill(-1, SIGKILL);
  reap_all(kKillGrace);
}

[[noreturn]] void power_off_now(int exit_code) {
  PowerAction action = g_action.load();
  stop_remaining_processes();
  ::sync();
  bool initial = in_initial_pid_namespace();
  // Only the machine's own init may remount /: in a PID namespace it is the host's file system.
  if (initial && ::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
    logger().debug("init: failed to remount / read-only: {}", std::strerror(errno));
  }
  int command = reboot_command(action, initial, initial && kernel_can_power_off());
  if (action == PowerAction::kPowerOff && command == RB_AUTOBOOT) {
    logger().info(
        "init: this machine cannot power off (no ACPI S5, e.g. Firecracker on x86); "
        "resetting instead, which ends a single-shot VMM");
  }
  logger().info("init: {} now", command == RB_AUTOBOOT ? "reset" : power_action_name(action));
  logger().flush();
  std::fflush(nullptr);
  ::reboot(command);
  // Only a PID 1 without CAP_SYS_BOOT gets here, i.e. a container's init, whose exit is how the
  // container ends; the kernel's own init always has the capability.
  int err = errno;
  logger().error("init: reboot(2) failed: {}", std::strerror(err));
  logger().flush();
  if (err == EPERM) ::_exit(exit_code);
  for (;;) ::pause();
}

void on_terminate() {
  std::fputs("taskd: fatal: std::terminate as init; powering off\n", stderr);
  if (::getpid() != 1) std::abort();
  power_off_now(kExitFailure);
}

bool takes_value(const std::string& option) {
  return option == "-c" || option == "--config" || option == "-s" || option == "--socket" ||
         option == "--ready-fd";
}

}  // namespace

std::span<const MountSpec> basic_mounts() { return kBasicMounts; }

std::vector<MountSpec> mounts_needed(std::span<const MountSpec> wanted,
                                     const std::function<bool(const std::string&)>& is_mounted) {
  std::vector<MountSpec> needed;
  for (const MountSpec& spec : wanted) {
    if (!is_mounted(spec.target)) needed.push_back(spec);
  }
  return needed;
}

Result<CliOptions> parse_command_line(const std::vector<std::string>& args, bool pid1) {
  auto cli = parse_cli(args);
  if (cli || !pid1) return cli;
  // Kernel leftovers are bare words; keep options and their values, drop the rest.
  std::vector<std::string> kept, dropped;
  for (std::size_t i = 0; i < args.size(); ++i) {
    bool option_value = i > 0 && takes_value(args[i - 1]);
    (args[i].starts_with("-") || option_value ? kept : dropped).push_back(args[i]);
  }
  cli = parse_cli(kept);
  std::string ignored;
  for (const auto& word : cli ? dropped : args) ignored += " " + word;
  std::fprintf(stderr, "taskd: as PID 1, ignoring arguments:%s\n", ignored.c_str());
  if (!cli) cli = parse_cli({});
  return cli;
}

bool enter(CliOptions& cli) {
  bool pid1 = ::getpid() == 1;
  cli.init_mode = cli.init_mode || pid1;
  if (!cli.init_mode) return false;
  g_active = true;
  cli.foreground = true;  // forking would make PID 1 exit
  std::set_terminate(on_terminate);
  if (pid1) ensure_stdio();  // from the root file system's /dev, if it has one
  mount_basics();
  if (pid1) ensure_stdio();    // from devtmpfs
  set_link_protections(pid1);  // needs /proc, mounted above
  ::setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 0);
  if (pid1) {
    // Ctrl-Alt-Del (Firecracker's SendCtrlAltDel) then arrives as SIGINT: a clean power off.
    ::reboot(RB_DISABLE_CAD);
  } else if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    logger().warn("init: failed to become a child subreaper: {}", std::strerror(errno));
  }
  logger().info("init: init mode pid={}", ::getpid());
  return true;
}

bool active() { return g_active; }

void request_power_action(PowerAction action) { g_action = action; }
PowerAction requested_power_action() { return g_action; }

const char* power_action_name(PowerAction action) {
  switch (action) {
    case PowerAction::kPowerOff: return "power off";
    case PowerAction::kHalt: return "halt";
    case PowerAction::kReboot: return "reboot";
  }
  return "power off";
}

int reboot_command(PowerAction action, bool initial_pid_namespace, bool kernel_can_power_off) {
  switch (action) {
    case PowerAction::kHalt: return RB_HALT_SYSTEM;
    case PowerAction::kReboot: return RB_AUTOBOOT;
    case PowerAction::kPowerOff:
      return initial_pid_namespace && !kernel_can_power_off ? RB_AUTOBOOT : RB_POWER_OFF;
  }
  return RB_POWER_OFF;
}

int finish(int exit_code) {
  // Even outside init mode (--help as PID 1): an init that returns from main panics the kernel.
  if (::getpid() != 1) return exit_code;
  if (exit_code != kExitOk) {
    logger().error("init: taskd stopped with exit code {}; as PID 1 it powers off instead",
                   exit_code);
  }
  power_off_now(exit_code);
}

}  // namespace taskd::init
