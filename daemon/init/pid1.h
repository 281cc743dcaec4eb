// taskd as a machine's init: PID 1 of a microVM (kernel argument init=/sbin/taskd), or --init.
// Owns what only init does: the basic mounts, usable stdio and PATH, the kernel's link protections
// (link_protections.h), Ctrl-Alt-Del as SIGINT, the requested power action, and the very end:
// stop what is left, sync, power off. Invariant: while taskd is PID 1, main never returns (an init
// that exits panics the kernel); every way out, including a bad config or an uncaught exception,
// ends in finish() or the terminate handler.
#pragma once

#include "common/error.h"
#include "daemon/config/cli.h"

#include <sys/types.h>

#include <functional>
#include <span>
#include <string>
#include <vector>

namespace taskd::init {

// What the end of a PID 1 run does. SIGTERM, SIGINT (Ctrl-Alt-Del) and SIGUSR2 ask for a power
// off, SIGUSR1 for a halt, as busybox init reads them (docs/firecracker.md).
enum class PowerAction { kPowerOff, kHalt, kReboot };

struct MountSpec {
  const char* target;
  const char* fstype;
  unsigned long flags;
  const char* data;
};

// /proc, /sys, /dev (devtmpfs), /dev/pts, /dev/shm, /run and /tmp, in mount order.
std::span<const MountSpec> basic_mounts();
// Pure: the mounts still to do, given which targets are mount points already.
std::vector<MountSpec> mounts_needed(std::span<const MountSpec> wanted,
                                     const std::function<bool(const std::string&)>& is_mounted);

// parse_cli, except as PID 1: words the kernel passes on from its command line that taskd does
// not know are reported and ignored (defaults apply), since failing to start would panic it.
Result<CliOptions> parse_command_line(const std::vector<std::string>& args, bool pid1);

// Enters init mode when running as PID 1 or with --init (sets cli.init_mode, and cli.foreground:
// init never daemonises). Mounts what is missing, makes sure fds 0-2 are open, sets a default
// PATH, routes Ctrl-Alt-Del to SIGINT and installs a terminate handler that powers off.
// Returns cli.init_mode.
bool enter(CliOptions& cli);
bool active();

void request_power_action(PowerAction action);
PowerAction requested_power_action();
const char* power_action_name(PowerAction action);

// Pure: the reboot(2) command for `action`. A power off on a machine that cannot power off (x86
// without ACPI S5: Firecracker) becomes a reset, which ends a single-shot VMM instead of leaving
// a halted guest and a live VMM behind; in a PID namespace every action is what it says.
int reboot_command(PowerAction action, bool initial_pid_namespace, bool kernel_can_power_off);

// main's last step. When not PID 1 (also with --init: the real init decides what happens next)
// it returns exit_code. As PID 1 it never returns: it signals every remaining
// process (SIGTERM, then SIGKILL after a grace period), reaps them, syncs, remounts / read-only
// and calls reboot(2) with the requested action.
int finish(int exit_code);

}  // namespace taskd::init
