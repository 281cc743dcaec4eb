// tasks.create / get / list / delete / sync / poll, and `task` events.
#include "daemon/api/api.h"

#include "daemon/rpc/dispatcher.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/tasks/task_manager.h"
#include "proto/methods.h"
#include "proto/params.h"
#include "proto/task_types.h"

namespace taskd::api {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

tasks::DesiredTask desired_task(proto::TaskParams& task) {
  return tasks::DesiredTask{std::move(task.id), std::move(task.spec), std::move(task.spec_json)};
}

asio::awaitable<rpc::MethodResult> create_task(ApiContext& context, json::value params) {
  auto decoded = proto::decode_task_params(params);
  if (!decoded) co_return decoded.error();
  // Named first: GCC 12 frees a brace-initialised temporary twice inside a co_await expression.
  tasks::DesiredTask desired = desired_task(*decoded);
  auto record = co_await context.tasks.create(std::move(desired));
  if (!record) co_return record.error();
  co_return proto::encode_create_result(*record);
}

asio::awaitable<rpc::MethodResult> delete_task(ApiContext& context, json::value params) {
  auto decoded = proto::decode_task_delete_params(params);
  if (!decoded) co_return decoded.error();
  bool deleted =
      co_await context.tasks.remove(decoded->id, std::chrono::milliseconds(decoded->grace_ms));
  co_return proto::encode_delete_result(decoded->id, deleted);
}

asio::awaitable<rpc::MethodResult> poll_task(ApiContext& context, json::value params) {
  auto id = proto::decode_id_params(params);
  if (!id) co_return id.error();
  auto polled = co_await context.tasks.poll(*id);
  if (!polled) co_return polled.error();
  co_return proto::encode_poll_result(*id, tasks::poll_status_name(polled->status),
                                      polled->description);
}

asio::awaitable<rpc::MethodResult> sync_tasks(ApiContext& context, json::value params) {
  auto decoded = proto::decode_tasks_sync_params(params);
  if (!decoded) co_return decoded.error();
  std::vector<tasks::DesiredTask> desired;
  for (auto& task : decoded->tasks) desired.push_back(desired_task(task));
  auto synced =
      co_await context.tasks.sync(std::move(desired), std::chrono::milliseconds(decoded->grace_ms));
  if (!synced) co_return synced.error();
  co_return proto::encode_sync_result(*synced);
}

rpc::MethodResult get_task(ApiContext& context, const json::value& params) {
  auto id = proto::decode_id_params(params);
  if (!id) return id.error();
  const tasks::TaskRecord* record = context.tasks.get(*id);
  if (!record) return make_error(ErrorCode::kNotFound, "no such task: " + *id).with("id", *id);
  return proto::encode_task(*record);
}

rpc::MethodResult list_tasks(ApiContext& context, const json::value& params) {
  if (auto ok = proto::decode_no_params(params); !ok) return ok.error();
  return proto::encode_task_list(context.tasks.list());
}

}  // namespace

void forward_task_events(ApiContext& context) {
  context.tasks.on_event(
      [&events = context.events](std::string_view type, const tasks::TaskRecord& record) {
        events.publish(proto::topic::kTask, type, proto::encode_task_event(record));
      });
}

void register_tasks_methods(rpc::Dispatcher& dispatcher, ApiContext& context) {
  dispatcher.add(proto::method::kTasksGet,
                 [&context](const json::value& params, rpc::CallContext&) -> rpc::MethodResult {
                   return get_task(context, params);
                 });
  dispatcher.add(proto::method::kTasksList,
                 [&context](const json::value& params, rpc::CallContext&) -> rpc::MethodResult {
                   return list_tasks(context, params);
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
