// JSON for tasks (docs/protocol.md): decoding specs with errors that name the field
// ("spec.setup[2].mode"), and encoding task records for replies and for task.json.
#pragma once

#include "common/error.h"
#include "daemon/tasks/task_spec.h"

#include <boost/json/object.hpp>

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace taskd::api {

struct TaskParams {
  std::string id;
  tasks::TaskSpec spec;
  std::string spec_json;  // canonical (keys sorted) form of the spec as given
};

Result<tasks::TaskSpec> decode_task_spec(const boost::json::value& spec, const std::string& path);
// {"id":..., "spec":{...}} (tasks.create, and each entry of tasks.sync)
Result<TaskParams> decode_task_params(const boost::json::value& params,
                                      const std::string& path = {});

// Object keys sorted at every level, so equal specs serialise equally.
std::string canonical_json(const boost::json::value& value);

boost::json::object encode_task(const tasks::TaskRecord& record);
std::string encode_task_file(const tasks::TaskRecord& record);
Result<tasks::TaskRecord> decode_task_file(std::string_view text);
Result<tasks::TaskSpec> decode_task_spec_json(std::string_view spec_json);

}  // namespace taskd::api
