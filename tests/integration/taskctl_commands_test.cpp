// Every taskctl command against a real daemon, in text and --json, with its exit code; commands
// read from stdin; events; completion scripts and `taskctl __complete`.
#include "common/shell_words.h"
#include "ctl/client.h"
#include "ctl/completion.h"
#include "tests/support/supervision_helpers.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace taskd::test {
namespace {

struct Case {
  std::vector<std::string> args;
  int exit_code;
  std::string text;  // expected in the text output ("" for no check)
};

class TaskctlCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon.start()) << daemon.startup_error();
    connection = std::make_unique<RpcTestClient>(daemon.socket_path());
    ASSERT_TRUE(wait_for_state(*connection, "web", "RUNNING"));
  }

  // taskctl in the background with stdout in a file, for commands that run until Ctrl-C.
  pid_t spawn(const std::vector<std::string>& args, const std::string& out_path) {
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<std::string> argv = {taskctl_binary(), "-s", daemon.socket_path()};
      argv.insert(argv.end(), args.begin(), args.end());
      std::vector<char*> raw;
      for (auto& arg : argv) raw.push_back(arg.data());
      raw.push_back(nullptr);
      ::execv(raw[0], raw.data());
      ::_exit(127);
    }
    return pid;
  }

  int interrupt_and_wait(pid_t pid) {
    ::kill(pid, SIGINT);
    int status = 0;
    if (!wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; })) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::int64_t subscribers() {
    auto health = connection->call("daemon.health");
    return health.at("result").at("subscribers").as_int64();
  }

  Daemon daemon{{.config = "[programs.web]\n" + fake_cmd({"--out", "hello", "--wait"}) +
                           "starttime = 0\n[programs.idle]\n" + fake_cmd({"--wait"}) +
                           "autostart = false\nstarttime = 0\n[programs.worker]\n" +
                           fake_cmd({"--wait"}) + "numprocs = 2\nautostart = false\n"}};
  std::unique_ptr<RpcTestClient> connection;
};

TEST_F(TaskctlCommands, EveryCommandInTextAndJson) {
  ASSERT_TRUE(wait_until([&] { return daemon.taskctl({"tail", "web"}).out == "hello\n"; }));
  const Case cases[] = {
      {{"status"}, 3, "idle                             STOPPED   Not started\n"},
      {{"status", "web"}, 0, "RUNNING   pid "},
      {{"status", "nope"}, 4, "nope: ERROR (no such process)"},
      {{"start", "idle"}, 0, "idle: started\n"},
      {{"start", "idle"}, 1, "idle: ERROR (already started)\n"},
      {{"stop", "idle"}, 0, "idle: stopped\n"},
      {{"restart", "worker:*"}, 0, "worker:worker_00: restarted\nworker:worker_01: restarted\n"},
      {{"signal", "CONT", "web"}, 0, "web: signalled\n"},
      {{"signal", "CONT", "idle"}, 1, "idle: ERROR (not running)\n"},
      {{"pid"}, 0, std::to_string(daemon.pid()) + "\n"},
      {{"pid", "idle"}, 0, "0\n"},
      {{"tail", "web"}, 0, "hello\n"},
      {{"tail", "-3", "web", "stdout"}, 0, "lo\n"},
      {{"maintail", "-100000"}, 0, "spawned: 'web'"},
      {{"avail"}, 0, "in use    manual"},
      {{"reread"}, 0, "No config updates to processes\n"},
      {{"update"}, 0, "No config updates to processes\n"},
      {{"reload"}, 0, "No config updates to processes\n"},
      {{"clear", "worker:*"}, 0, "worker:worker_00: cleared\n"},
      {{"version"}, 0, "0.1.0\n"},
      {{"health"}, 0, "ok: pid "},
      {{"stop", "worker:*"}, 0, "worker:worker_01: stopped\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.args));
    auto text = daemon.taskctl(c.args);
    EXPECT_EQ(text.exit_code, c.exit_code) << text.out << text.err;
    EXPECT_NE(text.out.find(c.text), std::string::npos) << text.out << text.err;
    EXPECT_EQ(text.out.find('\x1b'), std::string::npos);  // not a terminal: no colors
  }
  for (const auto& c : cases) {
    if (c.args[0] == "start" || c.args[0] == "stop") continue;  // not idempotent
    SCOPED_TRACE(testing::PrintToString(c.args));
    std::vector<std::string> args = {"--json"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto json = daemon.taskctl(args);
    EXPECT_EQ(json.exit_code, c.exit_code) << json.out << json.err;
    ASSERT_FALSE(json.out.empty());
    EXPECT_EQ(json.out.find('\n'), json.out.size() - 1) << json.out;  // one document, one line
    EXPECT_TRUE(parse_json(json.out).is_object()) << json.out;
  }
  auto json_status = parse_json(daemon.taskctl({"--json", "status", "web"}).out);
  EXPECT_EQ(json_status.at("processes").at(0).at("state").as_string(), "RUNNING");
  auto json_tail = parse_json(daemon.taskctl({"--json", "tail", "web"}).out);
  EXPECT_EQ(json_tail.at("data").as_string(), "hello\n");
}

TEST_F(TaskctlCommands, HelpUsageAndUnknownCommands) {
  auto help = daemon.taskctl({"help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* name :
       {"status", "events", "attach", "fg", "completion", "exit", "quit", "tail"}) {
    EXPECT_NE(help.out.find(std::string("\n  ") + name), std::string::npos) << name;
  }
  auto one = daemon.taskctl({"help", "tail"});
  EXPECT_EQ(one.out.rfind("tail [-f] [-BYTES] NAME [stdout|stderr]\n", 0), 0u) << one.out;
  EXPECT_EQ(daemon.taskctl({"help", "nope"}).exit_code, 2);
  auto unknown = daemon.taskctl({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("Unknown syntax: frobnicate"), std::string::npos);
  for (const char* line :
       {"start", "stop", "restart", "clear", "signal HUP", "tail", "tail web stdin", "maintail web",
        "version x", "avail x", "reread x", "shutdown now", "completion", "completion fish",
        "exit now", "attach", "attach web idle"}) {
    auto args = *split_shell_words(line);
    auto result = daemon.taskctl(args);
    EXPECT_EQ(result.exit_code, 2) << line;
    EXPECT_NE(result.err.find("usage: "), std::string::npos) << line;
  }
  EXPECT_EQ(daemon.taskctl({"--bogus", "status"}).exit_code, 2);
  EXPECT_EQ(daemon.taskctl({"exit"}).exit_code, 0);
}

TEST_F(TaskctlCommands, CommandsFromStdin) {
  auto script =
      daemon.taskctl({}, "status web\n# a comment\n\nstop 'web'\nstatus web\nstart web\n");
  EXPECT_EQ(script.exit_code, 3);  // the last failing command: status of a stopped web
  EXPECT_NE(script.out.find("web: stopped\n"), std::string::npos) << script.out;
  EXPECT_NE(script.out.find("web: started\n"), std::string::npos) << script.out;
  EXPECT_EQ(script.out.find("taskd@"), std::string::npos);  // no prompt
  EXPECT_EQ(script.out.find('\x1b'), std::string::npos);    // no escape codes

  auto mixed = daemon.taskctl({}, "bogus\nstatus web\n");
  EXPECT_EQ(mixed.exit_code, 2);  // a failure is remembered even when later commands succeed
  EXPECT_NE(mixed.out.find("RUNNING"), std::string::npos);

  auto quits = daemon.taskctl({}, "version\nexit\nbogus\n");
  EXPECT_EQ(quits.exit_code, 0);
  EXPECT_EQ(quits.err, "");

  auto quoting = daemon.taskctl({}, "status \"web\n");
  EXPECT_EQ(quoting.exit_code, 2);
  EXPECT_NE(quoting.err.find("unterminated double quote"), std::string::npos) << quoting.err;

  auto json = daemon.taskctl({"--json"}, "version\nstatus web\n");
  EXPECT_EQ(json.exit_code, 0);
  auto newline = json.out.find('\n');
  ASSERT_NE(newline, std::string::npos);
  EXPECT_TRUE(parse_json(json.out.substr(0, newline)).as_object().contains("protocol"));
  EXPECT_TRUE(parse_json(json.out.substr(newline + 1)).as_object().contains("processes"));

  auto empty = daemon.taskctl({}, "");
  EXPECT_EQ(empty.exit_code, 0);
}

TEST_F(TaskctlCommands, EventsFollowsUntilCtrlC) {
  TempDir dir;
  pid_t text = spawn({"events", "process"}, dir.file("text.out"));
  pid_t json = spawn({"--json", "events"}, dir.file("json.out"));
  ASSERT_TRUE(wait_until([&] { return subscribers() == 2; }));
  connection->call("programs.restart", {{"names", {"web"}}});
  auto has = [&](const std::string& file, const std::string& text_) {
    return read_file(dir.file(file)).find(text_) != std::string::npos;
  };
  EXPECT_TRUE(wait_until([&] { return has("text.out", "process.state web: STARTING -> RUNNING"); }))
      << read_file(dir.file("text.out"));
  EXPECT_TRUE(has("text.out", "process.state web: STOPPING -> STOPPED (terminated by SIGTERM)"));
  EXPECT_TRUE(wait_until([&] { return has("json.out", "\"to\":\"RUNNING\""); }));
  EXPECT_EQ(interrupt_and_wait(text), 0);
  EXPECT_EQ(interrupt_and_wait(json), 0);
  std::string lines = read_file(dir.file("json.out"));
  for (std::size_t start = 0, end; (end = lines.find('\n', start)) != std::string::npos;
       start = end + 1) {
    auto event = parse_json(lines.substr(start, end - start));
    EXPECT_EQ(event.at("topic").as_string(), "process");
  }
  EXPECT_TRUE(wait_until([&] { return subscribers() == 0; }));

  auto bad = daemon.taskctl({"events", "bogus"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("unknown topic"), std::string::npos) << bad.err;
}

TEST_F(TaskctlCommands, TailFollowWithJsonPrintsSlices) {
  TempDir dir;
  // The first slice must already hold the first "hello", or the line count below is off.
  ASSERT_TRUE(wait_until([&] { return daemon.taskctl({"tail", "web"}).out == "hello\n"; }));
  pid_t pid = spawn({"--json", "tail", "-f", "web"}, dir.file("tail.out"));
  ASSERT_TRUE(wait_until(
      [&] { return read_file(dir.file("tail.out")).find("hello") != std::string::npos; }));
  connection->call("programs.restart", {{"names", {"web"}}});
  ASSERT_TRUE(wait_until([&] {
    std::string out = read_file(dir.file("tail.out"));
    return std::count(out.begin(), out.end(), '\n') == 2;
  }));
  EXPECT_EQ(interrupt_and_wait(pid), 0);
  std::string out = read_file(dir.file("tail.out"));
  auto second = parse_json(out.substr(out.find('\n') + 1));
  EXPECT_EQ(second.at("data").as_string(), "hello\n");
  EXPECT_EQ(second.at("offset").as_int64(), 6);
}

TEST_F(TaskctlCommands, ShutdownThenUnreachable) {
  auto shutdown = daemon.taskctl({"shutdown"});
  EXPECT_EQ(shutdown.exit_code, 0);
  EXPECT_EQ(shutdown.out, "Shut down\n");
  EXPECT_EQ(daemon.stop(SIGTERM), 0);
  auto status = daemon.taskctl({"status"});
  EXPECT_EQ(status.exit_code, 7);
  EXPECT_NE(status.err.find("is taskd running?"), std::string::npos);
  EXPECT_EQ(daemon.taskctl({}, "status\nversion\n").exit_code, 7);
}

TEST_F(TaskctlCommands, CompletionScriptsAndCompleteRequests) {
  auto bash = daemon.taskctl({"completion", "bash"});
  EXPECT_EQ(bash.exit_code, 0);
  EXPECT_NE(bash.out.find("complete -F _taskctl taskctl"), std::string::npos);
  EXPECT_NE(daemon.taskctl({"completion", "zsh"}).out.find("compdef _taskctl taskctl"),
            std::string::npos);

  std::string line = "taskctl -s " + daemon.socket_path() + " ";
  auto complete = [&](const std::string& rest) {
    auto result = run_process({taskctl_binary(), "__complete", line + rest});
    EXPECT_EQ(result.exit_code, 0);
    return result.out;
  };
  EXPECT_EQ(complete("sta"), "start\nstatus\n");
  EXPECT_EQ(complete("stop "), "all\nidle\nweb\nworker:*\nworker:worker_00\nworker:worker_01\n");
  EXPECT_EQ(complete("stop web w"), "worker:*\nworker:worker_00\nworker:worker_01\n");
  EXPECT_EQ(complete("tail web "), "stderr\nstdout\n");
  EXPECT_EQ(complete("tail -"), "-f\n");
  EXPECT_EQ(complete("signal TE"), "TERM\n");
  EXPECT_EQ(complete("help ev"), "events\n");
  EXPECT_EQ(complete("events pro"), "process\n");
  EXPECT_EQ(complete("completion "), "bash\nzsh\n");
  EXPECT_EQ(complete("status 'wor"), "worker:*\nworker:worker_00\nworker:worker_01\n");
  EXPECT_EQ(run_process({taskctl_binary(), "__complete", "taskctl --js"}).out, "--json\n");
  EXPECT_EQ(run_process({taskctl_binary(), "__complete", "taskctl -s "}).out, "");
  auto nowhere =
      run_process({taskctl_binary(), "__complete", "taskctl -s /nonexistent.sock stop "});
  EXPECT_EQ(nowhere.exit_code, 0);
  EXPECT_EQ(nowhere.out, "all\n");
}

TEST_F(TaskctlCommands, BashCompletionTrimsWhatBashKeepsBeforeAColon) {
  TempDir dir;
  write_file(dir.file("completion.bash"), daemon.taskctl({"completion", "bash"}).out);
  // As bash calls it for `taskctl -s SOCK stop worker:w<TAB>`: COMP_WORDBREAKS splits at ':'.
  std::string script =
      "source " + dir.file("completion.bash") + "\n" + "COMP_LINE='" + taskctl_binary() + " -s " +
      daemon.socket_path() + " stop worker:w'\nCOMP_POINT=${#COMP_LINE}\n" + "COMP_WORDS=(" +
      taskctl_binary() + " -s " + daemon.socket_path() +
      " stop worker : w)\nCOMP_CWORD=6\n_taskctl\n" + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
  auto result = run_process({"/bin/bash", "--norc", "-c", script});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "worker_00\nworker_01\n");
}

TEST_F(TaskctlCommands, CompletersForMissingMethodsOfferNothing) {
  ctl::Client client(daemon.socket_path(), ConnectOptions{});
  ctl::CompletionContext context{client};
  EXPECT_TRUE(ctl::task_ids(context).empty());  // tasks.list: METHOD_NOT_FOUND on this build
  EXPECT_TRUE(ctl::session_ids(context).empty());
  auto names = ctl::program_names(context);
  EXPECT_NE(std::find(names.begin(), names.end(), "worker:*"), names.end());
  EXPECT_TRUE(client.call("daemon.version"));  // the connection is still fine
}

}  // namespace
}  // namespace taskd::test
