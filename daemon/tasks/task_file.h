// The task.json format, beside its store (task_store.h): the record with its spec as the wire
// gives it (decoded with proto/task_types, so a spec that was accepted once reads back the same).
// Version 1. Specs written by a 1.1 daemon spell commands `command`; they read back as `cmd`.
#pragma once

#include "common/error.h"
#include "common/task_spec.h"

#include <string>
#include <string_view>

namespace taskd::tasks {

std::string encode_task_file(const TaskRecord& record);
Result<TaskRecord> decode_task_file(std::string_view text);
// A record's spec_json, decoded again when tasks are loaded at start.
Result<TaskSpec> decode_task_spec_json(std::string_view spec_json);

}  // namespace taskd::tasks
