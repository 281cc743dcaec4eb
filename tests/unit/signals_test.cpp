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
}

// Printed once with its prefix: a caller never adds "SIG" (logs once said "SIGSIG40").
TEST(Signals, NamesCarryTheirPrefixOnce) {
  EXPECT_EQ(signal_name(SIGHUP), "SIGHUP");
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGRTMIN), "SIGRTMIN");
  EXPECT_EQ(signal_name(SIGRTMIN + 6), "SIGRTMIN+6");
  EXPECT_EQ(signal_name(SIGRTMAX - 2), "SIGRTMAX-2");
  EXPECT_EQ(signal_name(SIGRTMAX), "SIGRTMAX");
  EXPECT_EQ(signal_name(32), "SIG32");  // reserved by glibc below SIGRTMIN: no name
}

TEST(Signals, EveryPrintedNameParsesBack) {
  for (int signal = 1; signal < NSIG; ++signal) {
    if (signal > SIGSYS && signal < SIGRTMIN) continue;  // numbers without a name
    EXPECT_EQ(parse_signal(signal_name(signal)), signal) << signal_name(signal);
  }
  EXPECT_FALSE(parse_signal("RTMIN+999"));
  EXPECT_FALSE(parse_signal("RTMAX+1"));
}

}  // namespace
}  // namespace taskd
