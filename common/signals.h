// Signal names <-> numbers ("TERM", "SIGTERM", "15", "RTMIN+6" all parse), for config, RPC and
// taskctl. Every message that names how a process ended says "terminated by <signal_name>".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskd {

std::optional<int> parse_signal(std::string_view text);
// The one printed form, prefix included: "SIGTERM" for 15, "SIGRTMIN+6" / "SIGRTMAX-2" for
// real-time signals (as kill -l prints them), "SIG<n>" for any other number. Never prefix it.
std::string signal_name(int signal);
// Names without the SIG prefix, for completion and help.
std::vector<std::string> signal_names();

}  // namespace taskd
