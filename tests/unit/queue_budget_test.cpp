// QueueBudget: the daemon-wide bound counts only what each connection holds beyond its
// allowance, so a client that keeps up is never refused because others do not.
#include "common/queue_budget.h"

#include <gtest/gtest.h>

namespace taskd {
namespace {

TEST(QueueBudget, CountsOnlyWhatEachConnectionHoldsBeyondItsAllowance) {
  QueueBudget budget(1000, 100);
  EXPECT_TRUE(budget.allows(0, 1100));
  budget.move(0, 1100);  // 1000 counted
  EXPECT_EQ(budget.used(), 1000u);
  EXPECT_FALSE(budget.allows(0, 101));    // a second connection, beyond its allowance
  EXPECT_TRUE(budget.allows(0, 100));     // within it
  EXPECT_TRUE(budget.allows(1100, 600));  // shrinking is always allowed
  budget.move(1100, 600);
  EXPECT_EQ(budget.used(), 500u);
  EXPECT_TRUE(budget.allows(0, 600));
  budget.move(600, 0);
  EXPECT_EQ(budget.used(), 0u);
}

}  // namespace
}  // namespace taskd
