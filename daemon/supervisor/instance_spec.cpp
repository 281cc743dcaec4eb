#include "daemon/supervisor/instance_spec.h"

#include "daemon/config/expand.h"

#include <cstdio>
#include <map>

namespace taskd::supervisor {
namespace {

Result<void> expand_path(OutputConfig& output, const ExpandVars& vars) {
  if (output.kind != OutputConfig::Kind::kFile) return {};
  auto path = expand_vars(output.path, vars);
  if (!path) return path.error();
  output.path = std::move(*path);
  return {};
}

Result<InstanceSpec> expand_one(const ProgramConfig& program, int process_num) {
  InstanceSpec instance;
  instance.group = program.name;
  instance.process_num = process_num;
  if (program.numprocs > 1) {
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "_%02d", process_num);
    instance.name = program.name + ":" + program.name + suffix;
  } else {
    instance.name = program.name;
  }
  instance.program = program;
  ExpandVars vars{process_num, program.name};
  for (auto& word : instance.program.cmd) {
    auto expanded = expand_vars(word, vars);
    if (!expanded) return expanded.error();
    word = std::move(*expanded);
  }
  if (auto ok = expand_path(instance.program.stdout_log, vars); !ok) return ok.error();
  if (auto ok = expand_path(instance.program.stderr_log, vars); !ok) return ok.error();
  return instance;
}

}  // namespace

bool InstanceSpec::same_definition(const InstanceSpec& other) const {
  ProgramConfig mine = program;
  mine.numprocs = other.program.numprocs;
  mine.line = other.program.line;
  return name == other.name && group == other.group && process_num == other.process_num &&
         mine == other.program;
}

Result<std::vector<InstanceSpec>> expand_instances(const std::vector<ProgramConfig>& programs) {
  std::vector<InstanceSpec> instances;
  for (const auto& program : programs) {
    for (int i = 0; i < program.numprocs; ++i) {
      auto instance = expand_one(program, i);
      if (!instance) return instance.error();
      instances.push_back(std::move(*instance));
    }
  }
  return instances;
}

ReloadPlan plan_reload(const std::vector<InstanceSpec>& current,
                       const std::vector<InstanceSpec>& next) {
  std::map<std::string, const InstanceSpec*> wanted;
  for (const auto& instance : next) wanted[instance.name] = &instance;
  ReloadPlan plan;
  std::map<std::string, bool> existing;
  for (const auto& instance : current) {
    existing[instance.name] = true;
    auto found = wanted.find(instance.name);
    if (found == wanted.end()) {
      plan.removed.push_back(instance.name);
    } else if (instance.same_definition(*found->second)) {
      plan.unchanged.push_back(instance.name);
    } else {
      plan.changed.push_back(*found->second);
    }
  }
  for (const auto& instance : next) {
    if (!existing.contains(instance.name)) plan.added.push_back(instance);
  }
  return plan;
}

}  // namespace taskd::supervisor
