// Field-by-field equality of task specs and records (the domain types have no operator==), for
// the round-trip properties of the params fuzzer.
#pragma once

#include "daemon/tasks/task_spec.h"

#include <tuple>

namespace fuzz {

inline auto fields_of(const taskd::tasks::CommandSpec& c) {
  return std::tie(c.argv, c.env, c.cwd, c.umask, c.user, c.timeout_ms);
}

inline bool same_command(const taskd::tasks::CommandSpec& a, const taskd::tasks::CommandSpec& b) {
  return fields_of(a) == fields_of(b);
}

inline bool same_step(const taskd::tasks::SetupStep& a, const taskd::tasks::SetupStep& b) {
  return std::tie(a.kind, a.path, a.content, a.mode, a.owner, a.target, a.no_follow, a.parents,
                  a.recursive) == std::tie(b.kind, b.path, b.content, b.mode, b.owner, b.target,
                                           b.no_follow, b.parents, b.recursive) &&
         same_command(a.run, b.run);
}

inline bool same_optional_command(const std::optional<taskd::tasks::CommandSpec>& a,
                                  const std::optional<taskd::tasks::CommandSpec>& b) {
  return a.has_value() == b.has_value() && (!a || same_command(*a, *b));
}

inline bool same_spec(const taskd::tasks::TaskSpec& a, const taskd::tasks::TaskSpec& b) {
  if (a.setup.size() != b.setup.size() || a.deadline_ms != b.deadline_ms) return false;
  for (std::size_t i = 0; i < a.setup.size(); ++i) {
    if (!same_step(a.setup[i], b.setup[i])) return false;
  }
  return same_optional_command(a.process, b.process) && same_optional_command(a.check, b.check);
}

inline bool same_record(const taskd::tasks::TaskRecord& a, const taskd::tasks::TaskRecord& b) {
  const auto& p = a.process;
  const auto& q = b.process;
  return std::tie(a.id, a.spec_json, a.created_at_ms, a.setup, a.failed_step, a.setup_error,
                  a.setup_duration_ms, a.done) == std::tie(b.id, b.spec_json, b.created_at_ms,
                                                           b.setup, b.failed_step, b.setup_error,
                                                           b.setup_duration_ms, b.done) &&
         std::tie(p.kind, p.reason, p.message, p.pid, p.started_at_ms, p.finished_at_ms,
                  p.exit_code, p.signal) == std::tie(q.kind, q.reason, q.message, q.pid,
                                                     q.started_at_ms, q.finished_at_ms, q.exit_code,
                                                     q.signal);
}

}  // namespace fuzz
