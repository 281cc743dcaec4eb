// taskctl's global options (before the command): parsed from argv, and from a partial command
// line when the bash/zsh completion asks `taskctl __complete` what to offer.
#pragma once

#include "ctl/commands.h"

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace taskd::ctl {

struct GlobalOptions {
  std::string address;  // -s; default $TASKD_SOCKET, else the daemon's default socket
  bool json = false;
  int connect_timeout_ms = 10000;
  bool help = false;
  Args words;  // the command and its arguments (empty: shell or stdin script)
};

// Parses leading options of `args` into `options`; returns a message for bad usage.
std::optional<std::string> parse_global_options(const Args& args, GlobalOptions& options);

// Options that take a value (so completion knows the next word is not a command).
bool global_option_takes_value(std::string_view option);
std::vector<std::string> global_option_names();

void print_usage(std::FILE* to);

// Colors on a terminal unless NO_COLOR is set and non-empty (no-color.org) or TERM is dumb.
bool want_color(int fd);

}  // namespace taskd::ctl
