#include "daemon/supervisor/instance_spec.h"

#include <gtest/gtest.h>

namespace taskd::supervisor {
namespace {

ProgramConfig program(const std::string& name, int numprocs) {
  ProgramConfig p;
  p.name = name;
  p.numprocs = numprocs;
  p.cmd = {"/bin/worker", "--id=%(process_num)d"};
  p.stdout_log.path = "/var/log/" + name + "_%(process_num)02d.log";
  return p;
}

std::vector<std::string> names(const std::vector<InstanceSpec>& specs) {
  std::vector<std::string> out;
  for (const auto& s : specs) out.push_back(s.name);
  return out;
}

TEST(InstanceSpec, NumprocsNamesAndSubstitution) {
  auto instances = expand_instances({program("web", 1), program("worker", 3)});
  ASSERT_TRUE(instances);
  EXPECT_EQ(names(*instances), (std::vector<std::string>{"web", "worker:worker_00",
                                                         "worker:worker_01", "worker:worker_02"}));
  EXPECT_EQ((*instances)[2].program.cmd[1], "--id=1");
  EXPECT_EQ((*instances)[2].program.stdout_log.path, "/var/log/worker_01.log");
  EXPECT_EQ((*instances)[2].group, "worker");
}

TEST(InstanceSpec, ReloadPlanKeepsUnchanged) {
  auto current = *expand_instances({program("a", 1), program("b", 1), program("c", 2)});
  ProgramConfig changed_b = program("b", 1);
  changed_b.cmd = {"/bin/other"};
  ProgramConfig moved_a = program("a", 1);
  moved_a.line = 99;  // only its place in the file changed
  auto next = *expand_instances({moved_a, changed_b, program("c", 3), program("d", 1)});
  auto plan = plan_reload(current, next);
  EXPECT_EQ(plan.unchanged, (std::vector<std::string>{"a", "c:c_00", "c:c_01"}));
  EXPECT_EQ(names(plan.changed), std::vector<std::string>{"b"});
  EXPECT_EQ(names(plan.added), (std::vector<std::string>{"c:c_02", "d"}));
  EXPECT_TRUE(plan.removed.empty());
}

TEST(InstanceSpec, ReloadPlanRemovesAndShrinks) {
  auto current = *expand_instances({program("a", 1), program("c", 3)});
  auto next = *expand_instances({program("c", 1)});
  auto plan = plan_reload(current, next);
  // numprocs 3 -> 1 renames the instance (c:c_00 -> c), so all three leave and one arrives.
  EXPECT_EQ(plan.removed, (std::vector<std::string>{"a", "c:c_00", "c:c_01", "c:c_02"}));
  EXPECT_EQ(names(plan.added), std::vector<std::string>{"c"});
}

}  // namespace
}  // namespace taskd::supervisor
