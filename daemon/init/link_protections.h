// The kernel's link protections, which taskd turns on as a machine's init: in a world-writable
// sticky directory such as /tmp, an agent cannot plant a symlink, a hardlink, a FIFO or a regular
// file that a root process then follows or opens (fs.protected_* in the kernel's sysctl docs).
#pragma once

#include <span>
#include <string>
#include <vector>

namespace taskd::init {

struct Sysctl {
  const char* path;  // under /proc/sys: "fs/protected_symlinks"
  const char* value;
};

// fs.protected_symlinks=1, fs.protected_hardlinks=1, fs.protected_regular=2,
// fs.protected_fifos=2.
std::span<const Sysctl> link_protections();

// Writes each value under `proc_sys` ("/proc/sys", or a test's directory); returns one
// "fs.protected_x: reason" per failure.
std::vector<std::string> write_sysctls(const std::string& proc_sys,
                                       std::span<const Sysctl> sysctls);

// Pure: only the machine's own init sets them. In a PID namespace (a container's init, or the
// tests) they would change the host's kernel, which is not taskd's to change.
bool sets_link_protections(bool pid1, bool initial_pid_namespace);

}  // namespace taskd::init
