// tasks.create / get / list / delete / sync / poll, and `task` events.
#include "daemon/api/api.h"

#include "daemon/api/json_helpers.h"
#include "daemon/api/task_json.h"
#include "daemon/rpc/dispatcher.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/tasks/task_manager.h"
#include "proto/methods.h"
#include "proto/params.h"

namespace taskd::api {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::int64_t kDefaultGraceMs = 5000;

json::object create_result(const tasks::TaskRecord& record) {
  json::object out{{"id", record.id},
                   {"result", record.setup == tasks::SetupOutcome::kReady ? "READY" : "FAIL"},
                   {"task", encode_task(record)}};
  if (record.setup == tasks::SetupOutcome::kFail) {
    out.emplace("failed_step", record.failed_step);
    out.emplace("reason", record.setup_error);
  }
  return out;
}

Result<std::string> decode_id(const json::value& params, std::int64_t* grace_ms = nullptr) {
  std::string id;
  proto::Fields fields(params);
  fields.required("id", id);
  if (grace_ms) fields.optional("grace_ms", *grace_ms);
  if (grace_ms && fields.ok() && !is_valid_duration_ms(*grace_ms)) {
    fields.fail("grace_ms", proto::kDurationRule);
  }
  if (auto done = fields.finish(); !done) return done.error();
  return id;
}

asio::awaitable<rpc::MethodResult> create_task(ApiContext& context, json::value params) {
  auto decoded = decode_task_params(params);
  if (!decoded) co_return decoded.error();
  // Named first: GCC 12 frees a brace-initialised temporary twice inside a co_await expression.
  tasks::DesiredTask desired{decoded->id, std::move(decoded->spec), std::move(decoded->spec_json)};
  auto record = co_await context.tasks.create(std::move(desired));
  if (!record) co_return record.error();
  co_return create_result(*record);
}

asio::awaitable<rpc::MethodResult> delete_task(ApiContext& context, json::value params) {
  std::int64_t grace_ms = kDefaultGraceMs;
  auto id = decode_id(params, &grace_ms);
  if (!id) co_return id.error();
  bool deleted = co_await context.tasks.remove(*id, std::chrono::milliseconds(grace_ms));
  co_return json::object{{"id", *id}, {"deleted", deleted}};
}

asio::awaitable<rpc::MethodResult> poll_task(ApiContext& context, json::value params) {
  auto id = decode_id(params);
  if (!id) co_return id.error();
  auto polled = co_await context.tasks.poll(*id);
  if (!polled) co_return polled.error();
  std::string status(tasks::poll_status_name(polled->status));
  std::string text =
      polled->status == tasks::PollResult::Status::kError ? "ERROR:" + polled->description : status;
  co_return json::object{
      {"id", *id}, {"status", status}, {"description", polled->description}, {"text", text}};
}

asio::awaitable<rpc::MethodResult> sync_tasks(ApiContext& context, json::value params) {
  proto::Fields fields(params);
  json::value list;
  std::int64_t grace_ms = kDefaultGraceMs;
  fields.required("tasks", list).optional("grace_ms", grace_ms);
  if (fields.ok() && !list.is_array()) fields.fail("tasks", "must be an array of {id, spec}");
  if (fields.ok() && !is_valid_duration_ms(grace_ms)) fields.fail("grace_ms", proto::kDurationRule);
  if (auto done = fields.finish(); !done) co_return done.error();
  std::vector<tasks::DesiredTask> desired;
  for (std::size_t i = 0; i < list.as_array().size(); ++i) {
    auto task = decode_task_params(list.as_array()[i], "tasks[" + std::to_string(i) + "]");
    if (!task) co_return task.error();
    bool duplicate = std::any_of(desired.begin(), desired.end(),
                                 [&](const auto& d) { return d.id == task->id; });
    if (duplicate) {
      co_return proto::invalid_params("tasks[" + std::to_string(i) + "].id",
                                      "task id '" + task->id + "' appears twice");
    }
    desired.push_back(
        tasks::DesiredTask{task->id, std::move(task->spec), std::move(task->spec_json)});
  }
  auto synced =
      co_await context.tasks.sync(std::move(desired), std::chrono::milliseconds(grace_ms));
  if (!synced) co_return synced.error();
  const tasks::SyncReport& report = *synced;
  json::array failed;
  for (const auto& [id, reason] : report.failed)
    failed.push_back(json::object{{"id", id}, {"reason", reason}});
  co_return json::object{{"created", string_array(report.created)},
                         {"replaced", string_array(report.replaced)},
                         {"deleted", string_array(report.deleted)},
                         {"unchanged", string_array(report.unchanged)},
                         {"failed", std::move(failed)}};
}

}  // namespace

void forward_task_events(ApiContext& context) {
  context.tasks.on_event(
      [&events = context.events](std::string_view type, const tasks::TaskRecord& record) {
        json::object task = encode_task(record);
        events.publish(proto::topic::kTask, type,
                       {{"id", record.id},
                        {"setup", task["setup"]},
                        {"status", task["status"]},
                        {"done", record.done}});
      });
}

void register_tasks_methods(rpc::Dispatcher& dispatcher, ApiContext& context) {
  dispatcher.add(
      proto::method::kTasksGet,
      [&context](const json::value& params, rpc::CallContext&) -> rpc::MethodResult {
        auto id = decode_id(params);
        if (!id) return id.error();
        const tasks::TaskRecord* record = context.tasks.get(*id);
        if (!record)
          return make_error(ErrorCode::kNotFound, "no such task: " + *id).with("id", *id);
        return encode_task(*record);
      });
  dispatcher.add(proto::method::kTasksList,
                 [&context](const json::value& params, rpc::CallContext&) -> rpc::MethodResult {
                   if (auto ok = proto::Fields(params).finish(); !ok) return ok.error();
                   json::array list;
                   for (const tasks::TaskRecord* record : context.tasks.list())
                     list.push_back(encode_task(*record));
                   return json::object{{"tasks", std::move(list)}};
                 });
  dispatcher.add_async(proto::method::kTasksCreate,
                       [&context](const json::value& p, const rpc::CallContext&) {
                         return create_task(context, p);
                       });
  dispatcher.add_async(proto::method::kTasksDelete,
                       [&context](const json::value& p, const rpc::CallContext&) {
                         return delete_task(context, p);
                       });
  dispatcher.add_async(
      proto::method::kTasksPoll,
      [&context](const json::value& p, const rpc::CallContext&) { return poll_task(context, p); });
  dispatcher.add_async(
      proto::method::kTasksSync,
      [&context](const json::value& p, const rpc::CallContext&) { return sync_tasks(context, p); });
}

}  // namespace taskd::api
