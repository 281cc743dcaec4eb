// The wire codec of tasks.* (docs/protocol.md, section 7): params decoded with errors that name
// the field ("spec.setup[2].mode"), task records and results encoded for replies and `task`
// events. The task data itself is plain (common/task_spec.h); the disk format that reuses the
// spec decoder is daemon/tasks/task_file.h.
#pragma once

#include "common/error.h"
#include "common/task_spec.h"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace taskd::proto {

inline constexpr std::int64_t kDefaultTaskGraceMs = 5000;

// {"id":..., "spec":{...}}: tasks.create, and each entry of tasks.sync.
struct TaskParams {
  std::string id;
  tasks::TaskSpec spec;
  std::string spec_json;  // canonical_spec_json() of the spec as given
};

struct TaskDeleteParams {
  std::string id;
  std::int64_t grace_ms = kDefaultTaskGraceMs;
};

struct TasksSyncParams {
  std::vector<TaskParams> tasks;  // ids are unique
  std::int64_t grace_ms = kDefaultTaskGraceMs;
};

// `path` prefixes field names in errors ("spec", "tasks[3].spec").
Result<tasks::TaskSpec> decode_task_spec(const boost::json::value& spec, const std::string& path);
Result<TaskParams> decode_task_params(const boost::json::value& params,
                                      const std::string& path = {});
Result<TaskDeleteParams> decode_task_delete_params(const boost::json::value& params);
Result<TasksSyncParams> decode_tasks_sync_params(const boost::json::value& params);

// Object keys sorted at every level, so equal values serialise equally.
std::string canonical_json(const boost::json::value& value);
// The spec as it is kept and echoed: commands spelled `cmd` (a 1.1 `command` is renamed), then
// canonical_json, so a 1.1 spec and its 1.2 spelling compare equal in tasks.sync.
std::string canonical_spec_json(const boost::json::value& spec);

boost::json::object encode_task(const tasks::TaskRecord& record);
// tasks.list: {"tasks": [...]}.
boost::json::object encode_task_list(const std::vector<const tasks::TaskRecord*>& records);
// The fields of a `task` event: id, setup, status, done.
boost::json::object encode_task_event(const tasks::TaskRecord& record);
boost::json::object encode_create_result(const tasks::TaskRecord& record);
boost::json::object encode_delete_result(const std::string& id, bool deleted);
// `status` is DONE, INPROGRESS or ERROR; `text` repeats it, with the description after ERROR:.
boost::json::object encode_poll_result(const std::string& id, std::string_view status,
                                       const std::string& description);
boost::json::object encode_sync_result(const tasks::SyncReport& report);

// Names used both on the wire and in task.json.
std::string_view setup_outcome_name(tasks::SetupOutcome outcome);
std::string_view process_kind_name(tasks::ProcessStatus::Kind kind);

}  // namespace taskd::proto
