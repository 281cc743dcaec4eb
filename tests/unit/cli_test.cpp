#include "daemon/config/cli.h"

#include <gtest/gtest.h>

namespace taskd {
namespace {

TEST(Cli, ParsesEveryOption) {
  auto cli = parse_cli(
      {"-c", "/etc/x.toml", "--foreground", "-s", "unix:/tmp/a.sock", "--ready-fd", "5", "--init"});
  ASSERT_TRUE(cli);
  EXPECT_EQ(cli->config_path, "/etc/x.toml");
  EXPECT_TRUE(cli->config_explicit);
  EXPECT_TRUE(cli->foreground);
  EXPECT_EQ(*cli->socket_override, "unix:/tmp/a.sock");
  EXPECT_EQ(cli->ready_fd, 5);
  EXPECT_TRUE(cli->init_mode);
}

TEST(Cli, RejectsBadInput) {
  EXPECT_FALSE(parse_cli({"--bogus"}));
  EXPECT_FALSE(parse_cli({"-c"}));
  EXPECT_FALSE(parse_cli({"--ready-fd", "x"}));
  EXPECT_FALSE(parse_cli({"--ready-fd", "-1"}));
}

}  // namespace
}  // namespace taskd
