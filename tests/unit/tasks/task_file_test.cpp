// task.json (daemon/tasks/task_file): a record survives encode → decode; files written by a 1.1
// daemon, whose specs say `command`, still load after an upgrade and compare equal to the `cmd`
// spelling, so tasks.sync does not replace them.
#include "daemon/tasks/task_file.h"

#include "proto/task_types.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace taskd::tasks {
namespace {

namespace json = boost::json;

TaskRecord full_record() {
  TaskRecord r;
  r.id = "t-1";
  r.spec_json = R"({"check":{"cmd":["true"]},"process":{"cmd":["sleep","9"]}})";
  r.created_at_ms = 1764441600123;
  r.setup = SetupOutcome::kReady;
  r.failed_step = -1;
  r.setup_duration_ms = 12;
  r.process.kind = ProcessStatus::Kind::kTerminated;
  r.process.reason = "signaled";
  r.process.message = "killed by SIGTERM";
  r.process.pid = 4242;
  r.process.started_at_ms = 1764441600200;
  r.process.finished_at_ms = 1764441609000;
  r.process.signal = 15;
  r.done = true;
  return r;
}

TEST(TaskFile, ARecordRoundTrips) {
  TaskRecord r = full_record();
  auto back = decode_task_file(encode_task_file(r));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->id, r.id);
  EXPECT_EQ(back->spec_json, r.spec_json);
  EXPECT_EQ(back->created_at_ms, r.created_at_ms);
  EXPECT_EQ(back->setup, r.setup);
  EXPECT_EQ(back->failed_step, r.failed_step);
  EXPECT_EQ(back->setup_duration_ms, r.setup_duration_ms);
  EXPECT_EQ(back->process.kind, r.process.kind);
  EXPECT_EQ(back->process.reason, r.process.reason);
  EXPECT_EQ(back->process.message, r.process.message);
  EXPECT_EQ(back->process.pid, r.process.pid);
  EXPECT_EQ(back->process.started_at_ms, r.process.started_at_ms);
  EXPECT_EQ(back->process.finished_at_ms, r.process.finished_at_ms);
  EXPECT_FALSE(back->process.exit_code);
  EXPECT_EQ(back->process.signal, 15);
  EXPECT_TRUE(back->done);
  EXPECT_EQ(encode_task_file(*back), encode_task_file(r));
}

TEST(TaskFile, ASetupFailureRoundTrips) {
  TaskRecord r = full_record();
  r.setup = SetupOutcome::kFail;
  r.failed_step = 2;
  r.setup_error = "step 2 (run): exit status 1";
  r.process = ProcessStatus{};
  r.process.reason = "setup_failed";
  r.process.exit_code = 0;
  auto back = decode_task_file(encode_task_file(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->setup, SetupOutcome::kFail);
  EXPECT_EQ(back->failed_step, 2);
  EXPECT_EQ(back->setup_error, r.setup_error);
  EXPECT_EQ(back->process.kind, ProcessStatus::Kind::kWaiting);
  EXPECT_EQ(back->process.exit_code, 0);
}

TEST(TaskFile, AFileWrittenBeforeCmdStillLoads) {
  // As a 1.1 taskd wrote it.
  std::string old = R"({"version":1,"id":"old","spec":{"process":{"command":["sleep","100"]},)"
                    R"("setup":[{"kind":"run","command":["sh","-c","true"],"timeout_ms":5}],)"
                    R"("check":{"command":["test","-e","/run/ok"]}},"created_at_ms":1,)"
                    R"("setup":"READY","failed_step":-1,"setup_error":"","setup_duration_ms":3,)"
                    R"("process":{"kind":"running","reason":"","message":"","pid":77,)"
                    R"("started_at_ms":2,"finished_at_ms":0},"done":false})";
  auto record = decode_task_file(old);
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_EQ(record->spec_json.find("\"command\""), std::string::npos) << record->spec_json;
  auto spec = decode_task_spec_json(record->spec_json);
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->process->command.argv, (std::vector<std::string>{"sleep", "100"}));
  EXPECT_EQ(spec->setup[0].run.command.argv, (std::vector<std::string>{"sh", "-c", "true"}));
  EXPECT_EQ(spec->check->command.argv, (std::vector<std::string>{"test", "-e", "/run/ok"}));
  // The same task as a 1.2 client sends it in tasks.sync: unchanged.
  auto now = proto::decode_task_params(json::parse(
      R"({"id":"old","spec":{"check":{"cmd":["test","-e","/run/ok"]},"process":{"cmd":["sleep","100"]},
          "setup":[{"kind":"run","cmd":["sh","-c","true"],"timeout_ms":5}]}})"));
  ASSERT_TRUE(now);
  EXPECT_EQ(now->spec_json, record->spec_json);
  // Written back with `cmd`.
  EXPECT_NE(encode_task_file(*record).find(R"("cmd":["sleep","100"])"), std::string::npos);
}

TEST(TaskFile, UnreadableFilesAreRefused) {
  EXPECT_FALSE(decode_task_file("not json"));
  EXPECT_FALSE(decode_task_file(R"({"version":1})"));
  TaskRecord r = full_record();
  std::string text = encode_task_file(r);
  std::string v2 = text;
  v2.replace(v2.find("\"version\":1"), 11, "\"version\":2");
  auto refused = decode_task_file(v2);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("version 2"), std::string::npos);
  EXPECT_FALSE(decode_task_spec_json(R"({"process":{}})"));
}

}  // namespace
}  // namespace taskd::tasks
