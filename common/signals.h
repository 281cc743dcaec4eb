// Signal names <-> numbers ("TERM", "SIGTERM", "15" all parse), for config, RPC and taskctl.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskd {

std::optional<int> parse_signal(std::string_view text);
// "TERM" for 15; "SIG<n>" for numbers without a name.
std::string signal_name(int signal);
// Names without the SIG prefix, for completion and help.
std::vector<std::string> signal_names();

}  // namespace taskd
