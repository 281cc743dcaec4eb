// exec.run against the real daemon: exit codes, signals, timeouts that leave nothing behind,
// output caps, binary output, stdin, streaming order and offsets, disconnects, idempotency.
#include "tests/support/supervision_helpers.h"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include <signal.h>

#include <thread>

namespace taskd::test {
namespace {
namespace json = boost::json;

class Exec : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon.start()) << daemon.startup_error();
    client = std::make_unique<RpcTestClient>(daemon.socket_path());
  }
  json::value run(json::object params) {
    auto reply = client->call("exec.run", std::move(params), 30000);
    EXPECT_TRUE(reply.is_object() && reply.as_object().contains("result"))
        << json::serialize(reply);
    return reply.is_object() && reply.as_object().contains("result") ? reply.at("result")
                                                                     : json::value(nullptr);
  }
  Daemon daemon{{.config = "[exec]\nmax_concurrent = 8\n"}};
  std::unique_ptr<RpcTestClient> client;
};

bool any_process_with(const std::string& needle) {
  auto out = run_process(
      {"/bin/sh", "-c", "ps -eo args | grep -F -- '" + needle + "' | grep -v grep || true"});
  return !out.out.empty();
}

TEST_F(Exec, ExitCodeStdoutStderr) {
  auto r = run({{"cmd", {"sh", "-c", "echo out; echo err >&2; exit 3"}}});
  EXPECT_EQ(r.at("reason").as_string(), "exited");
  EXPECT_EQ(r.at("exit_code").as_int64(), 3);
  EXPECT_TRUE(r.at("signal").is_null());
  EXPECT_EQ(r.at("stdout").as_string(), "out\n");
  EXPECT_EQ(r.at("stderr").as_string(), "err\n");
  EXPECT_FALSE(r.at("timed_out").as_bool());
  EXPECT_TRUE(r.at("exec_id").as_string().starts_with("e-"));
}

TEST_F(Exec, ArgsEnvCwdUmask) {
  auto r = run({{"cmd", {fake_child_binary()}},
                {"args", {"--env", "WHO", "--cwd", "--umask"}},
                {"env", {{"WHO", "agent"}}},
                {"cwd", "/tmp"},
                {"umask", "027"}});
  EXPECT_EQ(r.at("stdout").as_string(), "WHO=agent\n/tmp\n027\n");
}

TEST_F(Exec, KilledBySignal) {
  auto r = run({{"cmd", {fake_child_binary(), "--kill-self", "9"}}});
  EXPECT_EQ(r.at("reason").as_string(), "signaled");
  EXPECT_EQ(r.at("signal").as_int64(), 9);
  EXPECT_TRUE(r.at("exit_code").is_null());
}

TEST_F(Exec, TimeoutKillsTheWholeGroupAndKeepsOutput) {
  std::string marker = "sleep 100.5";  // unique argv to find leftovers
  auto r =
      run({{"cmd", {"sh", "-c", "echo started; " + marker + " & " + marker}}, {"timeout_ms", 300}});
  EXPECT_EQ(r.at("reason").as_string(), "timeout");
  EXPECT_TRUE(r.at("timed_out").as_bool());
  EXPECT_EQ(r.at("stdout").as_string(), "started\n");
  EXPECT_GE(r.at("duration_ms").as_int64(), 300);
  EXPECT_TRUE(wait_until([&] { return !any_process_with(marker); })) << "a sleep survived";
}

TEST_F(Exec, TimeoutEscalatesToSigkill) {
  auto r = run({{"cmd", {fake_child_binary(), "--ignore", "TERM", "--wait"}},
                {"timeout_ms", 100},
                {"kill_grace_ms", 200}});
  EXPECT_EQ(r.at("reason").as_string(), "timeout");
  EXPECT_EQ(r.at("signal").as_int64(), SIGKILL);
}

TEST_F(Exec, BackgroundLeftoversAreKilledWhenTheCommandExits) {
  std::string marker = "sleep 100.25";
  auto r = run({{"cmd", {"sh", "-c", marker + " & echo done"}}});
  EXPECT_EQ(r.at("exit_code").as_int64(), 0);
  EXPECT_EQ(r.at("stdout").as_string(), "done\n");
  EXPECT_TRUE(wait_until([&] { return !any_process_with(marker); }));
}

TEST_F(Exec, OutputCapKeepsHeadAndTail) {
  auto r = run({{"cmd", {"seq", "1", "100000"}}, {"max_output_bytes", 20}});
  std::string out(r.at("stdout").as_string());
  EXPECT_EQ(out.size(), 20u);
  EXPECT_TRUE(out.starts_with("1\n2\n3\n4\n5\n")) << out;
  EXPECT_TRUE(out.ends_with("99\n100000\n")) << out;  // the last 10 bytes
  EXPECT_EQ(r.at("stdout_bytes").as_int64(), 588895);
  EXPECT_EQ(r.at("stdout_truncated_bytes").as_int64(), 588895 - 20);
}

TEST_F(Exec, BinaryOutputComesBackAsBase64) {
  auto r = run({{"cmd", {"printf", "\\377\\000\\001"}}});
  EXPECT_EQ(r.at("stdout_encoding").as_string(), "base64");
  EXPECT_EQ(r.at("stdout").as_string(), "/wAB");
}

TEST_F(Exec, StdinTextAndBase64) {
  EXPECT_EQ(run({{"cmd", {"cat"}}, {"stdin", "hello\n"}}).at("stdout").as_string(), "hello\n");
  EXPECT_EQ(run({{"cmd", {"wc", "-c"}}, {"stdin_base64", "AAEC"}}).at("stdout").as_string(), "3\n");
  EXPECT_EQ(run({{"cmd", {"cat"}}}).at("stdout").as_string(), "");  // stdin is /dev/null
}

TEST_F(Exec, SpawnFailureIsAResult) {
  auto r = run({{"cmd", {"/nonexistent/tool"}}});
  EXPECT_EQ(r.at("reason").as_string(), "spawn_failed");
  EXPECT_EQ(r.at("error").as_string(),
            "cannot execute '/nonexistent/tool': No such file or directory");
}

TEST_F(Exec, BadParamsAreRejected) {
  auto code = [&](json::object params) {
    auto reply = client->call("exec.run", std::move(params));
    return std::string(reply.at("error").at("data").at("field").as_string());
  };
  EXPECT_EQ(code({{"cmd", json::array{}}}), "cmd");
  EXPECT_EQ(code({{"cmd", "ls"}}), "cmd");
  EXPECT_EQ(code({{"cmd", {"ls"}}, {"timeout_ms", -1}}), "timeout_ms");
  EXPECT_EQ(code({{"cmd", {"ls"}}, {"stdin_base64", "!!"}}), "stdin_base64");
  EXPECT_EQ(code({{"cmd", {"ls"}}, {"max_output_bytes", 0}}), "max_output_bytes");
  EXPECT_EQ(code({{"cmd", {"ls"}}, {"shell", true}}), "shell");
}

TEST_F(Exec, StreamingSendsOrderedChunksBeforeTheResult) {
  ASSERT_TRUE(client->send_line(json::serialize(json::object{
      {"jsonrpc", "2.0"},
      {"id", 99},
      {"method", "exec.run"},
      {"params",
       {{"cmd", {"sh", "-c", "echo one; sleep 0.05; echo two >&2; sleep 0.05; echo three"}},
        {"stream", true}}}})));
  std::map<std::string, std::string> streamed;
  std::map<std::string, std::int64_t> next_offset;
  json::value result;
  while (true) {
    auto line = client->read_line(10000);
    ASSERT_TRUE(line);
    auto message = parse_json(*line);
    if (message.as_object().contains("id")) {
      result = message.at("result");
      break;
    }
    const auto& p = message.at("params");
    EXPECT_EQ(p.at("topic").as_string(), "output");
    std::string stream(p.at("stream").as_string());
    EXPECT_EQ(p.at("offset").as_int64(), next_offset[stream]) << "chunks out of order";
    streamed[stream] += std::string(p.at("data").as_string());
    next_offset[stream] += static_cast<std::int64_t>(p.at("data").as_string().size());
    EXPECT_EQ(p.at("exec_id").as_string(), "e-1");
  }
  EXPECT_EQ(streamed["stdout"], "one\nthree\n");
  EXPECT_EQ(streamed["stderr"], "two\n");
  EXPECT_EQ(result.at("stdout").as_string(), "one\nthree\n");
}

TEST_F(Exec, ClientDisconnectKillsItsExec) {
  std::string marker = "sleep 100.75";
  {
    RpcTestClient doomed(daemon.socket_path());
    ASSERT_TRUE(doomed.send_line(
        R"({"jsonrpc":"2.0","id":1,"method":"exec.run","params":{"cmd":["sh","-c","sleep 100.75"]}})"));
    ASSERT_TRUE(wait_until([&] { return any_process_with(marker); }));
  }  // connection closed
  EXPECT_TRUE(wait_until([&] { return !any_process_with(marker); }))
      << "the exec outlived its client";
  EXPECT_NE(daemon.log().find("cancelling 1 exec"), std::string::npos);
}

TEST_F(Exec, RequestKeyRunsOnceAcrossADroppedConnection) {
  TempDir dir;
  std::string counter = dir.file("runs");
  std::string started = dir.file("started");
  json::object params{
      {"cmd",
       {"sh", "-c", "touch " + started + "; sleep 0.2; echo x >> " + counter + "; echo ran"}},
      {"request_key", "step-42"}};
  {
    RpcTestClient first(daemon.socket_path());
    ASSERT_TRUE(first.send_line(json::serialize(
        json::object{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "exec.run"}, {"params", params}})));
    ASSERT_TRUE(wait_until([&] { return path_exists(started); }));
  }  // dropped before the answer; a keyed exec keeps running
  auto retried = run(params);
  ASSERT_TRUE(retried.is_object());
  EXPECT_EQ(retried.at("stdout").as_string(), "ran\n") << json::serialize(retried);
  EXPECT_TRUE(retried.at("reused").as_bool());
  auto again = run(params);
  EXPECT_EQ(again.at("exec_id"), retried.at("exec_id"));
  EXPECT_EQ(read_file(counter), "x\n");  // ran exactly once
  json::object other = params;
  other["cmd"] = json::array{"true"};
  auto reply = client->call("exec.run", other);
  EXPECT_EQ(reply.at("error").at("data").at("field").as_string(), "request_key");
}

TEST_F(Exec, ConcurrencyCapAnswersLimitExceeded) {
  std::vector<std::unique_ptr<RpcTestClient>> busy;
  for (int i = 0; i < 8; ++i) {
    busy.push_back(std::make_unique<RpcTestClient>(daemon.socket_path()));
    ASSERT_TRUE(busy.back()->send_line(
        R"({"jsonrpc":"2.0","id":1,"method":"exec.run","params":{"cmd":["sleep","5.125"]}})"));
  }
  ASSERT_TRUE(wait_until([&] {
    return run_process({"/bin/sh", "-c", "pgrep -c -f '^sleep 5.125$'"}).out == "8\n";
  }));
  auto reply = client->call("exec.run", {{"cmd", {"true"}}});
  EXPECT_EQ(reply.at("error").at("data").at("code").as_string(), "LIMIT_EXCEEDED");
}

TEST_F(Exec, ManyAtOnce) {
  std::vector<std::unique_ptr<RpcTestClient>> clients;
  for (int i = 0; i < 8; ++i)
    clients.push_back(std::make_unique<RpcTestClient>(daemon.socket_path()));
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 8; ++i) {
      ASSERT_TRUE(clients[i]->send_line(
          json::serialize(json::object{{"jsonrpc", "2.0"},
                                       {"id", i},
                                       {"method", "exec.run"},
                                       {"params", {{"cmd", {"echo", std::to_string(i)}}}}})));
    }
    for (int i = 0; i < 8; ++i) {
      auto reply = parse_json(*clients[i]->read_line(10000));
      EXPECT_EQ(reply.at("result").at("stdout").as_string(), std::to_string(i) + "\n");
    }
  }
}

TEST_F(Exec, TaskctlExecExitsWithTheCommandsCode) {
  auto r = daemon.taskctl({"exec", "--", "sh", "-c", "echo hi; exit 7"});
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.out, "hi\n");
  EXPECT_EQ(daemon.taskctl({"exec", "--timeout", "0.2", "sleep", "5"}).exit_code, 124);
  auto streamed = daemon.taskctl({"exec", "--stream", "--", "sh", "-c", "echo a; echo b >&2"});
  EXPECT_EQ(streamed.out, "a\n");
  EXPECT_EQ(streamed.err, "b\n");
  auto json_out = daemon.taskctl({"--json", "exec", "true"});
  EXPECT_EQ(parse_json(json_out.out).at("exit_code").as_int64(), 0);
  EXPECT_EQ(daemon.taskctl({"exec"}).exit_code, 2);
}

}  // namespace
}  // namespace taskd::test
