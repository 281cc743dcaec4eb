// The adversary for attack tests: code run as the real unprivileged user `nobody` (a forked
// helper that drops every privilege), so an attack is tried exactly as an agent in the box would.
#pragma once

#include "tests/support/process.h"

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace taskd::test {

struct Unprivileged {
  uid_t uid = 65534;
  gid_t gid = 65534;
};

// nobody's ids from passwd; tests that need it skip when the runner is not root (GTEST_SKIP in
// the caller: `if (!can_drop_to_nobody()) GTEST_SKIP() << "needs root";`).
Unprivileged nobody();
bool can_drop_to_nobody();

// Forks, drops to nobody (no supplementary groups), runs `body` and returns its return value as
// the exit code (-1 when the child died by a signal or did not finish in `timeout`).
int run_as_nobody(const std::function<int()>& body,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Runs argv as nobody with captured output, like run_process.
RunResult run_process_as_nobody(const std::vector<std::string>& argv, const std::string& input = "",
                                std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A directory the attacker owns (mode 0755, owned by nobody), created under `parent`, which is
// made traversable (o+x) so nobody can reach it. Returns its path.
std::string attacker_dir(const std::string& parent, const std::string& name);

}  // namespace taskd::test
