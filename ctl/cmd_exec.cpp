// exec [--timeout S] [--stream] [--cwd DIR] [--env K=V]... [--] CMD ARGS...: run a command in the
// daemon's environment (in a microVM: inside the guest) and exit with its exit code.
#include "common/text_encoding.h"
#include "ctl/commands.h"
#include "ctl/exit_codes.h"
#include "ctl/render.h"
#include "proto/methods.h"

#include <unistd.h>

namespace taskd::ctl {
namespace json = boost::json;
namespace {

// What `timeout(1)` and shells use: 124 timed out, 126/127 cannot run, 128+N killed by N.
int exit_code_of(const json::value& result) {
  std::string reason = string_field(result, "reason");
  if (reason == "timeout") return 124;
  if (reason == "spawn_failed") return 127;
  const auto* code = result.as_object().if_contains("exit_code");
  if (code && code->is_int64()) return static_cast<int>(code->as_int64());
  const auto* signal = result.as_object().if_contains("signal");
  if (signal && signal->is_int64()) return 128 + static_cast<int>(signal->as_int64());
  return kExitError;
}

void write_decoded(std::FILE* to, const json::value& object, std::string_view data_key,
                   std::string_view encoding_key) {
  std::string data = string_field(object, data_key);
  if (string_field(object, encoding_key) == "base64") data = base64_decode(data).value_or("");
  std::fwrite(data.data(), 1, data.size(), to);
  std::fflush(to);
}

int run_exec(Invocation& invocation, const Args& args) {
  const Command& self = *find_command("exec");
  json::object params;
  json::object env;
  bool stream = false;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    if (arg == "--") {
      ++i;
      break;
    } else if (arg == "--stream") {
      stream = true;
    } else if (arg == "--timeout") {
      const std::string* seconds = value();
      double parsed = seconds ? std::atof(seconds->c_str()) : -1;
      if (parsed <= 0) return usage_error(invocation, self, "--timeout needs a number of seconds");
      params["timeout_ms"] = static_cast<std::int64_t>(parsed * 1000);
    } else if (arg == "--cwd") {
      const std::string* dir = value();
      if (!dir) return usage_error(invocation, self, "--cwd needs a directory");
      params["cwd"] = *dir;
    } else if (arg == "--env") {
      const std::string* pair = value();
      if (!pair || pair->find('=') == std::string::npos)
        return usage_error(invocation, self, "--env needs NAME=value");
      env[pair->substr(0, pair->find('='))] = pair->substr(pair->find('=') + 1);
    } else if (arg.starts_with("--")) {
      return usage_error(invocation, self, "unknown option " + arg);
    } else {
      break;
    }
  }
  if (i >= args.size()) return usage_error(invocation, self, "no command given");
  json::array cmd;
  for (; i < args.size(); ++i) cmd.emplace_back(args[i]);
  params["cmd"] = std::move(cmd);
  if (!env.empty()) params["env"] = std::move(env);
  if (stream) params["stream"] = true;
  Client::OnNotification on_event;
  if (stream && !invocation.json) {
    on_event = [&](const json::value& event) {
      if (string_field(event, "topic") != proto::topic::kOutput) return;
      write_decoded(string_field(event, "stream") == "stderr" ? invocation.err : invocation.out,
                    event, "data", "encoding");
    };
  }
  auto result = invocation.client.call(proto::method::kExecRun, std::move(params), -1, on_event);
  if (!result) return report_failure(invocation, result.error());
  if (invocation.json) {
    std::fprintf(invocation.out, "%s\n", to_json_line(*result).c_str());
  } else {
    if (!stream) {
      write_decoded(invocation.out, *result, "stdout", "stdout_encoding");
      write_decoded(invocation.err, *result, "stderr", "stderr_encoding");
    }
    std::string reason = string_field(*result, "reason");
    if (reason == "spawn_failed")
      std::fprintf(invocation.err, "taskctl: %s\n", string_field(*result, "error").c_str());
    if (reason == "timeout") std::fprintf(invocation.err, "taskctl: timed out\n");
  }
  return exit_code_of(*result);
}

constexpr Command kCommands[] = {
    {"exec", "exec [--timeout S] [--stream] [--cwd DIR] [--env K=V]... [--] CMD [ARG...]",
     "run a command through the daemon; exits with its exit code", run_exec},
};

}  // namespace

std::span<const Command> exec_commands() { return kCommands; }

}  // namespace taskd::ctl
