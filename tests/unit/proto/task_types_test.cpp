// Task spec decoding (proto/task_types): every field, errors naming the path, unknown fields,
// `cmd` and its 1.1 alias `command`, NUL refusal; and the params and results of tasks.*.
#include "proto/task_types.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace taskd::proto {
namespace {

namespace json = boost::json;
using tasks::SetupStep;

std::string field_of(const Error& error) {
  for (const auto& [key, value] : error.data) {
    if (key == "field") return value;
  }
  return "";
}

Result<tasks::TaskSpec> decode(std::string_view spec) {
  return decode_task_spec(json::parse(spec), "spec");
}

// The field a refused spec is refused for (and that it is -32602).
std::string refused_field(std::string_view spec) {
  auto decoded = decode(spec);
  if (decoded) return "(accepted)";
  EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidParams) << spec;
  return field_of(decoded.error());
}

TEST(TaskTypes, DecodesEveryStepKindAndField) {
  auto spec = decode(R"({"setup":[
      {"kind":"write","path":"/etc/a","content":"x","mode":"0640","owner":"nobody:nogroup",
       "parents":false,"follow_symlinks":true},
      {"kind":"write","path":"/etc/b","content_base64":"aGk="},
      {"kind":"mkdir","path":"/srv/d","mode":755,"owner":"0"},
      {"kind":"chmod","path":"/srv/d","mode":"0o700","no_follow":true},
      {"kind":"chown","path":"/srv/d","owner":":adm"},
      {"kind":"symlink","path":"/srv/l","target":"/srv/d","parents":false},
      {"kind":"remove","path":"/srv/old","recursive":true},
      {"kind":"run","cmd":["sh","-c"],"args":["true"],"env":{"A":"1"},"cwd":"/srv","umask":"027",
       "user":"nobody","timeout_ms":500}],
    "process":{"cmd":["sleep"],"args":["100"]},
    "check":{"cmd":["test","-e","/run/ok"],"timeout_ms":250},
    "deadline_ms":9000})");
  ASSERT_TRUE(spec) << spec.error().message;
  ASSERT_EQ(spec->setup.size(), 8u);
  const SetupStep& write = spec->setup[0];
  EXPECT_EQ(write.kind, SetupStep::Kind::kWrite);
  EXPECT_EQ(write.path, "/etc/a");
  EXPECT_EQ(write.content, "x");
  EXPECT_EQ(write.mode, 0640u);
  EXPECT_EQ(write.owner, "nobody:nogroup");
  EXPECT_FALSE(write.parents);
  EXPECT_TRUE(write.follow_symlinks);
  EXPECT_EQ(spec->setup[1].content, "hi");
  EXPECT_EQ(spec->setup[2].kind, SetupStep::Kind::kMkdir);
  EXPECT_EQ(spec->setup[2].mode, 0755u);
  EXPECT_EQ(spec->setup[3].kind, SetupStep::Kind::kChmod);
  EXPECT_EQ(spec->setup[3].mode, 0700u);
  EXPECT_FALSE(spec->setup[3].follow_symlinks);
  EXPECT_EQ(spec->setup[4].owner, ":adm");
  EXPECT_EQ(spec->setup[5].target, "/srv/d");
  EXPECT_FALSE(spec->setup[5].parents);
  EXPECT_TRUE(spec->setup[6].recursive);
  const tasks::TaskCommand& run = spec->setup[7].run;
  EXPECT_EQ(spec->setup[7].kind, SetupStep::Kind::kRun);
  EXPECT_EQ(run.command.argv, (std::vector<std::string>{"sh", "-c", "true"}));
  EXPECT_EQ(run.command.env.at("A"), "1");
  EXPECT_EQ(run.command.cwd, "/srv");
  EXPECT_EQ(run.command.umask, 027u);
  EXPECT_EQ(run.command.user, "nobody");
  EXPECT_EQ(run.timeout_ms, 500);
  ASSERT_TRUE(spec->process);
  EXPECT_EQ(spec->process->command.argv, (std::vector<std::string>{"sleep", "100"}));
  ASSERT_TRUE(spec->check);
  EXPECT_EQ(spec->check->timeout_ms, 250);
  EXPECT_EQ(spec->deadline_ms, 9000);
}

TEST(TaskTypes, AnEmptySpecHasNothingToDo) {
  auto spec = decode("{}");
  ASSERT_TRUE(spec);
  EXPECT_TRUE(spec->setup.empty());
  EXPECT_FALSE(spec->process);
  EXPECT_FALSE(spec->check);
  EXPECT_EQ(spec->deadline_ms, 0);
}

TEST(TaskTypes, ErrorsNameThePath) {
  EXPECT_EQ(refused_field(R"({"setup":[{"kind":"mkdir","path":"/a"},{"kind":"remove","path":"/b"},
                                      {"kind":"chmod","path":"/c","mode":"9"}]})"),
            "spec.setup[2].mode");
  EXPECT_EQ(refused_field(R"({"setup":[{"kind":"chmod","path":"/c"}]})"), "spec.setup[0].mode");
  EXPECT_EQ(refused_field(R"({"setup":[{"kind":"copy","path":"/c"}]})"), "spec.setup[0].kind");
  EXPECT_EQ(refused_field(R"({"setup":[{"path":"/c"}]})"), "spec.setup[0].kind");
  EXPECT_EQ(refused_field(R"({"setup":{}})"), "spec.setup");
  EXPECT_EQ(refused_field(R"({"process":{}})"), "spec.process.cmd");
  EXPECT_EQ(refused_field(R"({"process":{"cmd":[""]}})"), "spec.process.cmd");
  EXPECT_EQ(refused_field(R"({"check":{"cmd":["t"],"umask":"999"}})"), "spec.check.umask");
  EXPECT_EQ(refused_field(R"({"check":{"cmd":["t"],"timeout_ms":-1}})"), "spec.check.timeout_ms");
  EXPECT_EQ(refused_field(R"({"deadline_ms":-5})"), "spec.deadline_ms");
  EXPECT_EQ(refused_field(R"({"setup":[{"kind":"write","path":"/a","content":"x",
                                        "content_base64":"eA=="}]})"),
            "spec.setup[0].content");
  EXPECT_EQ(refused_field(R"({"setup":[{"kind":"write","path":"/a","owner":"4294968296"}]})"),
            "spec.setup[0].owner");
  EXPECT_EQ(refused_field(R"({"setup":[{"kind":"chmod","path":"/a","mode":"0644","no_follow":true,
                                        "follow_symlinks":true}]})"),
            "spec.setup[0].no_follow");
}

TEST(TaskTypes, UnknownFieldsAreRefused) {
  EXPECT_EQ(refused_field(R"({"proces":{"cmd":["x"]}})"), "spec.proces");
  EXPECT_EQ(refused_field(R"({"setup":[{"kind":"write","path":"/a","conent":"x"}]})"),
            "spec.setup[0].conent");
  EXPECT_EQ(refused_field(R"({"setup":[{"kind":"run","cmd":["x"],"path":"/a"}]})"),
            "spec.setup[0].path");
  // The main process runs until stopped: it has no timeout.
  EXPECT_EQ(refused_field(R"({"process":{"cmd":["x"],"timeout_ms":5}})"),
            "spec.process.timeout_ms");
}

TEST(TaskTypes, CommandIsStillReadAsTheAliasOfCmd) {
  auto old = decode(R"({"process":{"command":["sleep","1"]},"check":{"command":["true"]},
                        "setup":[{"kind":"run","command":["a"],"args":["b"]}]})");
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_EQ(old->process->command.argv, (std::vector<std::string>{"sleep", "1"}));
  EXPECT_EQ(old->check->command.argv, (std::vector<std::string>{"true"}));
  EXPECT_EQ(old->setup[0].run.command.argv, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(refused_field(R"({"process":{"cmd":["a"],"command":["b"]}})"), "spec.process.command");
  EXPECT_EQ(refused_field(R"({"process":{"command":[]}})"), "spec.process.command");
}

TEST(TaskTypes, TheSpecIsKeptWithCmdAndSortedKeys) {
  auto given = decode_task_params(json::parse(
      R"({"id":"t","spec":{"process":{"env":{"B":"2","A":"1"},"command":["x"]},
                           "setup":[{"kind":"run","command":["y"]},{"path":"/p","kind":"remove"}]}})"));
  ASSERT_TRUE(given) << given.error().message;
  EXPECT_EQ(given->id, "t");
  EXPECT_EQ(given->spec_json,
            R"({"process":{"cmd":["x"],"env":{"A":"1","B":"2"}},)"
            R"("setup":[{"cmd":["y"],"kind":"run"},{"kind":"remove","path":"/p"}]})");
  auto same = decode_task_params(json::parse(
      R"({"id":"t","spec":{"setup":[{"kind":"run","cmd":["y"]},{"kind":"remove","path":"/p"}],
                           "process":{"cmd":["x"],"env":{"A":"1","B":"2"}}}})"));
  ASSERT_TRUE(same);
  EXPECT_EQ(same->spec_json, given->spec_json);
}

TEST(TaskTypes, NulBytesAreRefusedWhereTheyWouldReachASystemCall) {
  auto refused = [](json::value process) {
    auto decoded = decode_task_spec(json::object{{"process", std::move(process)}}, "spec");
    return decoded ? std::string("(accepted)") : field_of(decoded.error());
  };
  std::string nul("a\0b", 3);
  EXPECT_EQ(refused({{"cmd", {"true", nul}}}), "spec.process.cmd");
  EXPECT_EQ(refused({{"command", {"true", nul}}}), "spec.process.command");
  EXPECT_EQ(refused({{"cmd", {"true"}}, {"args", {nul}}}), "spec.process.cmd");
  EXPECT_EQ(refused({{"cmd", {"true"}}, {"env", {{"K", nul}}}}), "spec.process.env");
  EXPECT_EQ(refused({{"cmd", {"true"}}, {"cwd", nul}}), "spec.process.cwd");
  EXPECT_EQ(refused({{"cmd", {"true"}}, {"user", nul}}), "spec.process.user");
  json::object symlink{{"kind", "symlink"}, {"path", "/l"}, {"target", nul}};
  auto step = decode_task_spec(json::object{{"setup", json::array{symlink}}}, "spec");
  ASSERT_FALSE(step);
  EXPECT_EQ(field_of(step.error()), "spec.setup[0].target");
}

TEST(TaskTypes, SyncParamsRefuseATaskIdGivenTwice) {
  auto synced = decode_tasks_sync_params(
      json::parse(R"({"tasks":[{"id":"a","spec":{}},{"id":"b","spec":{}},{"id":"a","spec":{}}]})"));
  ASSERT_FALSE(synced);
  EXPECT_EQ(field_of(synced.error()), "tasks[2].id");
  auto bad_spec = decode_tasks_sync_params(
      json::parse(R"({"tasks":[{"id":"a","spec":{"deadline_ms":"soon"}}]})"));
  ASSERT_FALSE(bad_spec);
  EXPECT_EQ(field_of(bad_spec.error()), "tasks[0].spec.deadline_ms");
  auto ok = decode_tasks_sync_params(json::parse(R"({"tasks":[],"grace_ms":10})"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->grace_ms, 10);
}

TEST(TaskTypes, DeleteParamsBoundTheGrace) {
  auto deleted = decode_task_delete_params(json::parse(R"({"id":"a"})"));
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->grace_ms, kDefaultTaskGraceMs);
  auto negative = decode_task_delete_params(json::parse(R"({"id":"a","grace_ms":-1})"));
  ASSERT_FALSE(negative);
  EXPECT_EQ(field_of(negative.error()), "grace_ms");
}

TEST(TaskTypes, EncodesTheTaskAsDocumented) {
  tasks::TaskRecord record;
  record.id = "t";
  record.spec_json = R"({"check":{"cmd":["true"]}})";
  record.setup = tasks::SetupOutcome::kFail;
  record.failed_step = 1;
  record.setup_error = "step 1 (run): exit status 1";
  record.process.reason = "setup_failed";
  json::object task = encode_task(record);
  EXPECT_EQ(task.at("spec").at("check").at("cmd").at(0).as_string(), "true");
  EXPECT_EQ(task.at("setup").at("result").as_string(), "FAIL");
  EXPECT_EQ(task.at("setup").at("failed_step").as_int64(), 1);
  EXPECT_EQ(task.at("status").at("state").at("waiting").at("reason").as_string(), "setup_failed");
  json::object event = encode_task_event(record);
  EXPECT_EQ(event.size(), 4u);
  EXPECT_TRUE(event.at("setup") == task.at("setup"));
  json::object created = encode_create_result(record);
  EXPECT_EQ(created.at("result").as_string(), "FAIL");
  EXPECT_EQ(created.at("reason").as_string(), record.setup_error);
  EXPECT_EQ(encode_poll_result("t", "ERROR", "deadline").at("text").as_string(), "ERROR:deadline");
  EXPECT_EQ(encode_poll_result("t", "DONE", "").at("text").as_string(), "DONE");
}

}  // namespace
}  // namespace taskd::proto
