// What to run, as plain data: one struct for every place a command is described (programs,
// exec.run, task process/check/run steps, agents), decoded once from the wire or the config and
// handed to the process runtime as is.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace taskd {

struct CommandSpec {
  std::vector<std::string> argv;           // the program and its arguments
  std::map<std::string, std::string> env;  // over the base environment
  std::string cwd;                         // empty: the daemon's
  std::optional<unsigned> umask;           // empty: the one taskd was started with
  std::string user;                        // empty: taskd's user; name or strict number

  bool operator==(const CommandSpec&) const = default;
};

}  // namespace taskd
