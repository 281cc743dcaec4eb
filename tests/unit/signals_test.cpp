#include "common/signals.h"

#include <csignal>

#include <gtest/gtest.h>

namespace taskd {
namespace {

TEST(Signals, NamesAndNumbers) {
  EXPECT_EQ(parse_signal("TERM"), SIGTERM);
  EXPECT_EQ(parse_signal("SIGUSR1"), SIGUSR1);
  EXPECT_EQ(parse_signal("usr2"), SIGUSR2);
  EXPECT_EQ(parse_signal("9"), SIGKILL);
  EXPECT_FALSE(parse_signal("NOPE"));
  EXPECT_FALSE(parse_signal("0"));
  EXPECT_FALSE(parse_signal("999"));
  EXPECT_EQ(signal_name(SIGHUP), "HUP");
  EXPECT_EQ(signal_name(40), "SIG40");
}

}  // namespace
}  // namespace taskd
