// The interactive shell: `taskctl` without a command on a terminal. A supervisorctl-style prompt
// naming the daemon address, libedit editing with persistent history and live tab completion;
// Ctrl-C drops the line or ends the running command, Ctrl-D / exit / quit leave, and a daemon
// that goes away is reported and reconnected to on the next command.
#pragma once

#include "ctl/commands.h"

#include <string>

namespace taskd::ctl {

inline constexpr int kHistorySize = 1000;  // entries kept in memory and in the file

// The history file: $TASKCTL_HISTORY when set (empty: no file), else
// $XDG_STATE_HOME/taskctl/history when XDG_STATE_HOME is an absolute path, else
// $HOME/.taskctl_history; "" when there is no home either. Arguments may be null (unset).
std::string history_file_path(const char* override_path, const char* xdg_state_home,
                              const char* home);

// Runs the shell on stdin/stdout until EOF or exit; returns 0.
int run_shell(Invocation& invocation);

}  // namespace taskd::ctl
