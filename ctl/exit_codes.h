// taskctl's exit codes (docs/taskctl.md); `status` follows supervisorctl's LSB choices.
#pragma once

namespace taskd::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;        // the daemon answered with an error
inline constexpr int kExitUsage = 2;        // unknown command or wrong arguments
inline constexpr int kExitNotRunning = 3;   // status: some program is not running
inline constexpr int kExitNoSuchName = 4;   // status: a name is unknown
inline constexpr int kExitUnreachable = 7;  // no daemon at the address, or the address is bad
inline constexpr int kExitInterrupted =
    130;  // shell: Ctrl-C ended the wait for a reply (128+SIGINT)

}  // namespace taskd::ctl
