// Telling whoever started us that taskd is listening: a newline on --ready-fd (tests, and the
// parent of a daemonising taskd) and READY=1 to $NOTIFY_SOCKET (systemd Type=notify).
#pragma once

#include <string>

namespace taskd {

void notify_ready_fd(int& fd);                  // writes "\n", closes, sets fd to -1
void notify_systemd(const std::string& state);  // no-op without NOTIFY_SOCKET

}  // namespace taskd
