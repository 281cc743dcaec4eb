// What one supervised process is: a program's config expanded for one of its numprocs
// instances (cmd and log paths with %(process_num)d substituted), plus its names. Reload diffs
// these, so changing numprocs adds or removes instances and leaves the others alone.
#pragma once

#include "daemon/config/config.h"

#include <string>
#include <vector>

namespace taskd::supervisor {

struct InstanceSpec {
  std::string name;  // "web" (numprocs 1) or "web:web_00"
  std::string group;
  int process_num = 0;
  ProgramConfig program;  // this instance's view: cmd and log paths expanded

  // Same process definition (ignores numprocs and the config line it came from).
  bool same_definition(const InstanceSpec& other) const;
};

Result<std::vector<InstanceSpec>> expand_instances(const std::vector<ProgramConfig>& programs);

struct ReloadPlan {
  std::vector<InstanceSpec> added;
  std::vector<InstanceSpec> changed;  // the new definitions
  std::vector<std::string> removed;
  std::vector<std::string> unchanged;
  bool empty() const { return added.empty() && changed.empty() && removed.empty(); }
};

// `current` in its order; added instances in `next`'s order.
ReloadPlan plan_reload(const std::vector<InstanceSpec>& current,
                       const std::vector<InstanceSpec>& next);

}  // namespace taskd::supervisor
