// Helpers for supervision tests: TOML for fake_child commands, and status polling.
#pragma once

#include "tests/support/daemon_harness.h"

#include <boost/json/value.hpp>

#include <initializer_list>
#include <string>

namespace taskd::test {

// cmd = [".../fake_child", args...] as a TOML array.
std::string fake_cmd(std::initializer_list<std::string> args);

// programs.status entry for one process (null when absent).
boost::json::value process_status(RpcTestClient& client, const std::string& name);
std::string state_of(RpcTestClient& client, const std::string& name);
std::int64_t pid_of(RpcTestClient& client, const std::string& name);
bool wait_for_state(RpcTestClient& client, const std::string& name, const std::string& state,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace taskd::test
