#include "tests/support/supervision_helpers.h"

namespace taskd::test {
namespace json = boost::json;

std::string fake_cmd(std::initializer_list<std::string> args) {
  std::string toml = "cmd = [\"" + fake_child_binary() + "\"";
  for (const auto& arg : args) toml += ", \"" + arg + "\"";
  return toml + "]\n";
}

json::value process_status(RpcTestClient& client, const std::string& name) {
  auto reply = client.call("programs.status", {{"names", {name}}});
  if (!reply.is_object() || !reply.as_object().contains("result")) return nullptr;
  const auto& processes = reply.at("result").at("processes").as_array();
  return processes.empty() ? json::value(nullptr) : processes.front();
}

std::string state_of(RpcTestClient& client, const std::string& name) {
  auto status = process_status(client, name);
  return status.is_null() ? "" : std::string(status.at("state").as_string());
}

std::int64_t pid_of(RpcTestClient& client, const std::string& name) {
  auto status = process_status(client, name);
  return status.is_null() ? -1 : status.at("pid").as_int64();
}

bool wait_for_state(RpcTestClient& client, const std::string& name, const std::string& state,
                    std::chrono::milliseconds timeout) {
  return wait_until([&] { return state_of(client, name) == state; }, timeout);
}

}  // namespace taskd::test
