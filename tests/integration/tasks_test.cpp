// Tasks against the real daemon: every setup step, READY/FAIL, poll, deadline, sync, delete,
// persistence across a restart, and a thousand tasks.
#include "tests/support/supervision_helpers.h"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

namespace taskd::test {
namespace {
namespace json = boost::json;

class Tasks : public ::testing::Test {
 protected:
  void SetUp() override { start(); }
  void start() {
    ASSERT_TRUE(daemon->start()) << daemon->startup_error();
    client = std::make_unique<RpcTestClient>(daemon->socket_path());
  }
  json::value call(const std::string& method, json::value params) {
    return client->call(method, std::move(params), 60000);
  }
  json::value create(const std::string& id, json::value spec) {
    auto reply = call("tasks.create", {{"id", id}, {"spec", std::move(spec)}});
    EXPECT_TRUE(reply.as_object().contains("result")) << json::serialize(reply);
    return reply.as_object().contains("result") ? reply.at("result") : reply;
  }
  std::string poll(const std::string& id) {
    return std::string(call("tasks.poll", {{"id", id}}).at("result").at("text").as_string());
  }
  std::string path(const std::string& name) { return work.file(name); }

  TempDir work;
  std::unique_ptr<Daemon> daemon = std::make_unique<Daemon>();
  std::unique_ptr<RpcTestClient> client;
};

TEST_F(Tasks, EverySetupStepKind) {
  auto r = create(
      "steps", {{"setup",
                 {{{"kind", "write"},
                   {"path", path("a/b/file.txt")},
                   {"content", "hello\n"},
                   {"mode", "0640"}},
                  {{"kind", "write"}, {"path", path("bin.dat")}, {"content_base64", "AAEC"}},
                  {{"kind", "mkdir"}, {"path", path("d1/d2")}, {"mode", "0700"}},
                  {{"kind", "chmod"}, {"path", path("a/b/file.txt")}, {"mode", "0600"}},
                  {{"kind", "chown"}, {"path", path("bin.dat")}, {"owner", "nobody:nogroup"}},
                  {{"kind", "symlink"}, {"path", path("link")}, {"target", path("a/b/file.txt")}},
                  {{"kind", "write"}, {"path", path("gone")}, {"content", "x"}},
                  {{"kind", "remove"}, {"path", path("gone")}},
                  {{"kind", "remove"}, {"path", path("never-existed")}},
                  {{"kind", "run"}, {"cmd", {"sh", "-c", "echo ran > " + path("ran")}}}}}});
  EXPECT_EQ(r.at("result").as_string(), "READY") << json::serialize(r);
  EXPECT_EQ(read_file(path("a/b/file.txt")), "hello\n");
  struct stat st {};
  ::stat(path("a/b/file.txt").c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(read_file(path("bin.dat")), std::string("\0\1\2", 3));
  ::stat(path("d1/d2").c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  if (::geteuid() == 0) {
    ::stat(path("bin.dat").c_str(), &st);
    EXPECT_EQ(st.st_uid, 65534u);
  }
  EXPECT_EQ(read_file(path("link")), "hello\n");
  EXPECT_FALSE(path_exists(path("gone")));
  EXPECT_EQ(read_file(path("ran")), "ran\n");
  EXPECT_EQ(poll("steps"), "DONE");  // no process, no check: set up is all there is
}

TEST_F(Tasks, EachStepKindFailsCleanly) {
  struct Case {
    json::object step;
    std::string reason;
  };
  std::vector<Case> cases = {
      {{{"kind", "write"}, {"path", "/proc/no/such/dir/f"}, {"content", "x"}}, "step 0 (write)"},
      {{{"kind", "mkdir"}, {"path", "/proc/version/sub"}}, "step 0 (mkdir)"},
      {{{"kind", "chmod"}, {"path", path("missing")}, {"mode", "0644"}},
       "No such file or directory"},
      {{{"kind", "chown"}, {"path", path("missing")}, {"owner", "root"}},
       "No such file or directory"},
      {{{"kind", "chown"}, {"path", "/tmp"}, {"owner", "no-such-user-xyz"}}, "no such user"},
      {{{"kind", "symlink"}, {"path", "/tmp"}, {"target", "/x"}}, "File exists"},
      {{{"kind", "run"}, {"cmd", {"sh", "-c", "echo broken >&2; exit 4"}}},
       "exit status 4: broken"},
      {{{"kind", "run"}, {"cmd", {"/no/such/binary"}}}, "cannot execute"},
      {{{"kind", "run"}, {"cmd", {"sleep", "5"}}, {"timeout_ms", 100}}, "timed out"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto r = create("fail" + std::to_string(i), {{"setup", {cases[i].step}}});
    ASSERT_EQ(r.at("result").as_string(), "FAIL") << i;
    EXPECT_EQ(r.at("failed_step").as_int64(), 0);
    EXPECT_NE(std::string(r.at("reason").as_string()).find(cases[i].reason), std::string::npos)
        << i << ": " << r.at("reason").as_string();
    EXPECT_TRUE(poll("fail" + std::to_string(i)).starts_with("ERROR:setup failed")) << i;
  }
}

TEST_F(Tasks, FailReportsTheFailingStepAndStopsThere) {
  auto r = create("partial", {{"setup",
                               {{{"kind", "write"}, {"path", path("first")}, {"content", "1"}},
                                {{"kind", "run"}, {"cmd", {"false"}}},
                                {{"kind", "write"}, {"path", path("third")}, {"content", "3"}}}}});
  EXPECT_EQ(r.at("result").as_string(), "FAIL");
  EXPECT_EQ(r.at("failed_step").as_int64(), 1);
  EXPECT_TRUE(path_exists(path("first")));
  EXPECT_FALSE(path_exists(path("third")));
}

TEST_F(Tasks, PathsAreValidated) {
  auto bad = [&](const std::string& p) {
    json::object step{{"kind", "write"}, {"path", p}, {"content", "x"}};
    json::object spec{{"setup", json::array{step}}};
    auto reply = call("tasks.create", json::object{{"id", "bad"}, {"spec", spec}});
    return reply.as_object().contains("error")
               ? std::string(reply.at("error").at("message").as_string())
               : "";
  };
  EXPECT_NE(bad("relative/path").find("must be absolute"), std::string::npos);
  EXPECT_NE(bad("/tmp/../etc/passwd").find("must not contain '..'"), std::string::npos);
  EXPECT_NE(bad(std::string("/tmp/a\0b", 8)).find("NUL"), std::string::npos);
  EXPECT_FALSE(path_exists("/tmp/a"));
  auto reply = call("tasks.create", {{"id", "../x"}, {"spec", json::object{}}});
  EXPECT_EQ(reply.at("error").at("data").at("field").as_string(), "id");
  json::object typo_step{{"kind", "write"}, {"path", "/tmp/x"}, {"conent", "x"}};
  json::object typo_spec{{"setup", json::array{typo_step}}};
  auto typo = call("tasks.create", json::object{{"id", "t"}, {"spec", typo_spec}});
  EXPECT_EQ(typo.at("error").at("data").at("field").as_string(), "spec.setup[0].conent");
}

TEST_F(Tasks, NoFollowRefusesSymlinks) {
  ASSERT_EQ(::symlink("/etc", path("sneaky").c_str()), 0);
  auto r = create("nf", {{"setup",
                          {{{"kind", "write"},
                            {"path", path("sneaky/hostname-copy")},
                            {"content", "x"},
                            {"no_follow", true}}}}});
  EXPECT_EQ(r.at("result").as_string(), "FAIL");
  EXPECT_NE(std::string(r.at("reason").as_string()).find("symlink"), std::string::npos)
      << r.at("reason");
  EXPECT_FALSE(path_exists("/etc/hostname-copy"));
  ASSERT_EQ(::symlink(path("target").c_str(), path("final-link").c_str()), 0);
  auto final_link = create("nf2", {{"setup",
                                    {{{"kind", "write"},
                                      {"path", path("final-link")},
                                      {"content", "x"},
                                      {"no_follow", true}}}}});
  EXPECT_EQ(final_link.at("result").as_string(), "FAIL");
  EXPECT_FALSE(path_exists(path("target")));
}

TEST_F(Tasks, PollGoesFromInProgressToDoneWhenTheCheckPasses) {
  std::string flag = path("solved");
  create("rl", {{"setup",
                 {{{"kind", "write"}, {"path", path("broken.conf")}, {"content", "port=oops\n"}}}},
                {"check", {{"cmd", {"test", "-e", flag}}}}});
  EXPECT_EQ(poll("rl"), "INPROGRESS");
  EXPECT_EQ(poll("rl"), "INPROGRESS");
  write_file(flag, "");
  EXPECT_EQ(poll("rl"), "DONE");
  ::unlink(flag.c_str());
  EXPECT_EQ(poll("rl"), "DONE");  // DONE is final
  EXPECT_TRUE(call("tasks.get", {{"id", "rl"}}).at("result").at("done").as_bool());
}

TEST_F(Tasks, CheckThatCannotRunIsAnError) {
  create("c", {{"check", {{"cmd", {"/no/such/check"}}}}});
  EXPECT_TRUE(poll("c").starts_with("ERROR:check failed to run: cannot execute")) << poll("c");
}

TEST_F(Tasks, DeadlineGivesError) {
  // One deadline that cannot pass during the test and one that must: no timing assumptions.
  create("early", {{"deadline_ms", 3600000}, {"check", {{"cmd", {"false"}}}}});
  create("late", {{"deadline_ms", 300}, {"check", {{"cmd", {"false"}}}}});
  EXPECT_EQ(poll("early"), "INPROGRESS");
  EXPECT_TRUE(wait_until([&] { return poll("late") == "ERROR:deadline passed (300 ms)"; }));
  EXPECT_EQ(poll("early"), "INPROGRESS");
}

// The signal is named once ("terminated by SIGKILL"): a merge once made it "SIGSIGKILL".
TEST_F(Tasks, ASignaledProcessOrCheckIsNamedBySignal) {
  create("proc", {{"process", {{"cmd", {"sh", "-c", "kill -KILL $$"}}}}});
  create("chk", {{"check", {{"cmd", {"sh", "-c", "kill -KILL $$"}}}}});
  ASSERT_TRUE(wait_until([&] { return poll("proc") != "INPROGRESS"; }));
  auto task = call("tasks.get", {{"id", "proc"}}).at("result");
  std::string message(task.at("status").at("state").at("terminated").at("message").as_string());
  EXPECT_EQ(message, "terminated by SIGKILL");
  std::string check = poll("chk");
  EXPECT_NE(check.find("terminated by SIGKILL"), std::string::npos) << check;
  EXPECT_EQ(check.find("SIGSIG"), std::string::npos) << check;
}

TEST_F(Tasks, ProcessOutcomeWithoutCheck) {
  create("ok", {{"process", {{"cmd", {"sh", "-c", "echo working; exit 0"}}}}});
  create("bad", {{"process", {{"cmd", {"sh", "-c", "exit 3"}}}}});
  ASSERT_TRUE(wait_until([&] { return poll("ok") == "DONE"; }));
  ASSERT_TRUE(wait_until([&] { return poll("bad") != "INPROGRESS"; }));
  EXPECT_EQ(poll("bad"), "ERROR:process error: exit status 3");
  auto task = call("tasks.get", {{"id", "bad"}}).at("result");
  const auto& terminated = task.at("status").at("state").at("terminated");
  EXPECT_EQ(terminated.at("exit_code").as_int64(), 3);
  EXPECT_EQ(terminated.at("reason").as_string(), "error");
  EXPECT_FALSE(terminated.at("started_at").as_string().empty());
  EXPECT_FALSE(terminated.at("finished_at").as_string().empty());
  EXPECT_EQ(read_file(daemon->data_dir() + "/tasks/ok/stdout.log"), "working\n");
}

TEST_F(Tasks, DeleteStopsTheProcessAndIsIdempotent) {
  auto r = create("svc", {{"process", {{"cmd", {"sleep", "100"}}}}});
  auto pid = r.at("task").at("status").at("state").at("running").at("pid").as_int64();
  EXPECT_TRUE(process_alive(static_cast<pid_t>(pid)));
  auto deleted = call("tasks.delete", {{"id", "svc"}}).at("result");
  EXPECT_TRUE(deleted.at("deleted").as_bool());
  EXPECT_FALSE(process_alive(static_cast<pid_t>(pid)));
  EXPECT_FALSE(path_exists(daemon->data_dir() + "/tasks/svc"));
  EXPECT_FALSE(call("tasks.delete", {{"id", "svc"}}).at("result").at("deleted").as_bool());
  EXPECT_EQ(call("tasks.get", {{"id", "svc"}}).at("error").at("data").at("code").as_string(),
            "NOT_FOUND");
}

TEST_F(Tasks, SyncCreatesDeletesLeavesAloneAndReplaces) {
  json::object keep{{"process", {{"cmd", {"sleep", "100"}}}}};
  create("keep", keep);
  create("drop", json::object{});
  create("change", json::object{});
  auto pid_before = call("tasks.get", {{"id", "keep"}})
                        .at("result")
                        .at("status")
                        .at("state")
                        .at("running")
                        .at("pid");
  // Same spec with keys in another order is still the same spec.
  json::object keep_reordered{{"process", {{"cmd", {"sleep", "100"}}}}};
  auto report = call("tasks.sync", {{"tasks",
                                     {{{"id", "keep"}, {"spec", keep_reordered}},
                                      {{"id", "change"}, {"spec", {{"deadline_ms", 5000}}}},
                                      {{"id", "new"}, {"spec", json::object{}}}}}})
                    .at("result");
  EXPECT_EQ(
      json::serialize(report),
      R"({"created":["new"],"replaced":["change"],"deleted":["drop"],"unchanged":["keep"],"failed":[]})");
  auto pid_after = call("tasks.get", {{"id", "keep"}})
                       .at("result")
                       .at("status")
                       .at("state")
                       .at("running")
                       .at("pid");
  EXPECT_EQ(pid_after, pid_before);
  EXPECT_EQ(call("tasks.list", nullptr).at("result").at("tasks").as_array().size(), 3u);
}

// A 1.1 client still says `command` (deprecated alias for protocol 1.2): the task runs, is echoed
// with `cmd`, and the 1.2 spelling of the same spec leaves it alone in tasks.sync.
TEST_F(Tasks, TheOldCommandSpellingIsReadAsCmd) {
  auto created = create("old", {{"process", {{"command", {"sleep", "100"}}}}});
  const auto& spec = created.at("task").at("spec").at("process");
  EXPECT_EQ(json::serialize(spec), R"({"cmd":["sleep","100"]})");
  auto report =
      call("tasks.sync",
           {{"tasks", {{{"id", "old"}, {"spec", {{"process", {{"cmd", {"sleep", "100"}}}}}}}}}})
          .at("result");
  EXPECT_EQ(json::serialize(report.at("unchanged")), R"(["old"])") << json::serialize(report);
  auto both =
      call("tasks.create",
           {{"id", "both"}, {"spec", {{"check", {{"cmd", {"true"}}, {"command", {"true"}}}}}}});
  EXPECT_EQ(both.at("error").at("data").at("field").as_string(), "spec.check.command");
}

TEST_F(Tasks, RestartKeepsTheListAndReportsLostProcesses) {
  create("runner", {{"process", {{"cmd", {"sleep", "100.33"}}}}});
  create("finished", json::object{});
  EXPECT_EQ(poll("finished"), "DONE");
  client.reset();
  auto orphans = descendants_of(daemon->pid());
  daemon->stop(SIGKILL);  // a crash: no chance to record anything
  start();
  auto list = call("tasks.list", nullptr).at("result").at("tasks").as_array();
  ASSERT_EQ(list.size(), 2u);
  auto runner = call("tasks.get", {{"id", "runner"}}).at("result");
  EXPECT_EQ(runner.at("status").at("state").at("terminated").at("reason").as_string(),
            "daemon_restart");
  EXPECT_EQ(poll("finished"), "DONE");
  EXPECT_TRUE(poll("runner").starts_with("ERROR:process daemon_restart"));
  for (pid_t orphan : orphans) ::kill(orphan, SIGKILL);  // orphaned by the crash
}

TEST_F(Tasks, AThousandTasksCreatedAndListed) {
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) {
    auto r = create(
        "t" + std::to_string(i),
        {{"setup",
          {{{"kind", "write"}, {"path", path("f" + std::to_string(i))}, {"content", "x"}}}}});
    ASSERT_EQ(r.at("result").as_string(), "READY");
  }
  auto took = std::chrono::steady_clock::now() - started;
  auto list = call("tasks.list", nullptr).at("result").at("tasks").as_array();
  EXPECT_EQ(list.size(), 1000u);
  std::printf(
      "created 1000 tasks in %lld ms\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  EXPECT_EQ(daemon->taskctl({"task", "list"}).out.size() > 1000 * 10, true);
}

TEST_F(Tasks, TaskctlCommands) {
  write_file(path("t.json"), R"({"id":"cli","spec":{"check":{"cmd":["false"]}}})");
  auto created = daemon->taskctl({"task", "create", path("t.json")});
  EXPECT_EQ(created.out, "cli: READY\n");
  auto polled = daemon->taskctl({"task", "poll", "cli"});
  EXPECT_EQ(polled.out, "INPROGRESS\n");
  EXPECT_EQ(polled.exit_code, 3);
  EXPECT_NE(daemon->taskctl({"task", "list"}).out.find("cli"), std::string::npos);
  auto json_get = daemon->taskctl({"--json", "task", "get", "cli"});
  EXPECT_EQ(parse_json(json_get.out).at("id").as_string(), "cli");
  auto synced = daemon->taskctl({"task", "sync", "-"}, R"([{"id":"other","spec":{}}])");
  EXPECT_EQ(synced.out, "other: created\ncli: deleted\n");
  EXPECT_EQ(daemon->taskctl({"task", "delete", "other"}).out, "other: deleted\n");
  EXPECT_EQ(daemon->taskctl({"task", "frob"}).exit_code, 2);
}

}  // namespace
}  // namespace taskd::test
