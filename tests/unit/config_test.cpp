#include "daemon/config/config.h"
#include "tests/support/config_helpers.h"

#include <gtest/gtest.h>

namespace taskd {
namespace {

using test::expect_error;
using test::parse;

TEST(Config, DaemonSection) {
  auto config = parse(R"([daemon]
socket = "run/t.sock"
socket_mode = "0660"
log_level = "debug"
data_dir = "/var/tmp/td"
max_line_bytes = 4096
)");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->daemon.socket, "/etc/t/run/t.sock");  // relative to the file
  EXPECT_EQ(config->daemon.socket_mode, 0660u);
  EXPECT_EQ(config->daemon.log_level, "debug");
  EXPECT_EQ(config->daemon.data_dir, "/var/tmp/td");
  EXPECT_EQ(config->daemon.log_file, "/var/tmp/td/taskd.log");
  EXPECT_EQ(config->daemon.max_line_bytes, 4096u);
}

TEST(Config, DaemonLogRotation) {
  auto defaults = parse("");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->daemon.log_maxbytes, 10u * 1024 * 1024);
  EXPECT_EQ(defaults->daemon.log_backups, 5);
  auto config = parse("[daemon]\nlog_maxbytes = \"2MB\"\nlog_backups = 0\n");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->daemon.log_maxbytes, 2u * 1024 * 1024);
  EXPECT_EQ(config->daemon.log_backups, 0);
  expect_error("[daemon]\nlog_maxbytes = \"lots\"\n",
               "taskd.toml:2: daemon.log_maxbytes: must be a byte count");
  expect_error("[daemon]\nlog_backups = -1\n", "taskd.toml:2: daemon.log_backups:");
}

TEST(Config, EmptyFileGivesDefaults) {
  auto config = parse("");
  ASSERT_TRUE(config);
  EXPECT_FALSE(config->daemon.socket.empty());
  EXPECT_EQ(config->daemon.socket_mode, 0600u);
  EXPECT_TRUE(config->programs.empty());
}

TEST(Config, UnknownKeyHasFileAndLine) {
  expect_error("[daemon]\nsocket = \"/tmp/x.sock\"\nsokcet = 1\n",
               "/etc/t/taskd.toml:3: daemon.sokcet: unknown key");
}

TEST(Config, UnknownSection) {
  expect_error("[deamon]\n", "/etc/t/taskd.toml:1: deamon: unknown key");
}

TEST(Config, WrongTypes) {
  expect_error("[daemon]\nsocket = 5\n", ":2: daemon.socket: must be a string");
  expect_error("[daemon]\nlog_level = \"loud\"\n", ":2: daemon.log_level: must be one of");
  expect_error("[daemon]\nsocket_mode = \"0999\"\n", ":2: daemon.socket_mode: must be an octal");
  expect_error("[daemon]\nsocket = \"vsock:3:52\"\n", ":2: daemon.socket: must be a unix:");
  expect_error("[daemon]\nmax_line_bytes = 1\n", ":2: daemon.max_line_bytes: must be an integer");
}

TEST(Config, SyntaxErrorHasLine) {
  expect_error("[daemon]\nsocket = \"unterminated\n", "/etc/t/taskd.toml:2:");
}

TEST(Config, MissingFile) {
  auto config = load_config("/nonexistent/taskd.toml");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("/nonexistent/taskd.toml:0: cannot read"),
            std::string::npos);
}

}  // namespace
}  // namespace taskd
