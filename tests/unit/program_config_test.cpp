// [programs.NAME]: every field, and errors that name file, line and field.
#include "daemon/config/config.h"
#include "tests/support/config_helpers.h"

#include <csignal>

#include <gtest/gtest.h>

namespace taskd {
namespace {

using test::expect_error;
using test::parse;

TEST(ProgramConfig, EveryField) {
  auto config = parse(R"(
[daemon]
data_dir = "/var/lib/x"

[programs.web]
cmd = "/usr/bin/python3 -m http.server 'port 80'"
numprocs = 2
autostart = false
autorestart = "always"
exitcodes = [0, 2]
starttime = 0.5
startretries = 7
stopsignal = "USR1"
stoptime = 3
stdout = "logs/web-%(process_num)d.out"
stdout_maxbytes = "10MB"
stdout_backups = 3
stderr = "stdout"
env = { STARTED_BY = "taskd", ANSWER = 42 }
workingdir = "/tmp"
umask = "022"
user = "nobody"
priority = 10
stdin = "pipe"
)");
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->programs.size(), 1u);
  const ProgramConfig& p = config->programs[0];
  EXPECT_EQ(p.name, "web");
  EXPECT_EQ(p.line, 5);
  EXPECT_EQ(p.cmd, (std::vector<std::string>{"/usr/bin/python3", "-m", "http.server", "port 80"}));
  EXPECT_EQ(p.numprocs, 2);
  EXPECT_FALSE(p.autostart);
  EXPECT_EQ(p.autorestart, AutoRestart::kAlways);
  EXPECT_EQ(p.exitcodes, (std::vector<int>{0, 2}));
  EXPECT_EQ(p.starttime_ms, 500);
  EXPECT_EQ(p.startretries, 7);
  EXPECT_EQ(p.stopsignal, SIGUSR1);
  EXPECT_EQ(p.stoptime_ms, 3000);
  EXPECT_EQ(p.stdout_log.kind, OutputConfig::Kind::kFile);
  EXPECT_EQ(p.stdout_log.path, "/etc/t/logs/web-%(process_num)d.out");
  EXPECT_EQ(p.stdout_log.max_bytes, 10u * 1024 * 1024);
  EXPECT_EQ(p.stdout_log.backups, 3);
  EXPECT_EQ(p.stderr_log.kind, OutputConfig::Kind::kMergeIntoStdout);
  EXPECT_EQ(p.env.at("ANSWER"), "42");
  EXPECT_EQ(p.workingdir, "/tmp");
  EXPECT_EQ(*p.umask, 022u);
  EXPECT_EQ(p.user, "nobody");
  EXPECT_EQ(p.priority, 10);
  EXPECT_TRUE(p.stdin_pipe);
}

TEST(ProgramConfig, Defaults) {
  auto config = parse("[daemon]\ndata_dir = \"/d\"\n[programs.a]\ncmd = [\"/bin/true\"]\n");
  ASSERT_TRUE(config) << config.error().message;
  const ProgramConfig& p = config->programs[0];
  EXPECT_EQ(p.numprocs, 1);
  EXPECT_TRUE(p.autostart);
  EXPECT_EQ(p.autorestart, AutoRestart::kUnexpected);
  EXPECT_EQ(p.exitcodes, std::vector<int>{0});
  EXPECT_EQ(p.starttime_ms, 1000);
  EXPECT_EQ(p.startretries, 3);
  EXPECT_EQ(p.stopsignal, SIGTERM);
  EXPECT_EQ(p.stoptime_ms, 10000);
  EXPECT_EQ(p.stdout_log.path, "/d/logs/a.stdout.log");
  EXPECT_EQ(p.stderr_log.path, "/d/logs/a.stderr.log");
  EXPECT_FALSE(p.umask);
}

TEST(ProgramConfig, UmaskForms) {
  for (const char* form : {"\"022\"", "22", "0o22", "\"0o022\""}) {
    auto config = parse(std::string("[programs.a]\ncmd = \"x\"\numask = ") + form + "\n");
    ASSERT_TRUE(config) << form << ": " << config.error().message;
    EXPECT_EQ(*config->programs[0].umask, 022u) << form;
  }
}

TEST(ProgramConfig, ExitcodesAsOneInteger) {
  auto config = parse("[programs.a]\ncmd = \"x\"\nexitcodes = 3\n");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->programs[0].exitcodes, std::vector<int>{3});
}

TEST(ProgramConfig, SortedByPriorityThenName) {
  auto config = parse(
      "[programs.b]\ncmd = \"x\"\n[programs.a]\ncmd = \"x\"\n[programs.z]\ncmd = \"x\"\npriority = "
      "1\n");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->programs[0].name, "z");
  EXPECT_EQ(config->programs[1].name, "a");
}

TEST(ProgramConfig, ErrorsNameFileLineAndField) {
  expect_error("[programs.a]\nnumprocs = 2\n", "/etc/t/taskd.toml:1: programs.a.cmd: is required");
  expect_error("[programs.a]\ncmd = \"x\"\nnumprocs = 0\n",
               ":3: programs.a.numprocs: must be an integer from 1 to 1000");
  expect_error("[programs.a]\ncmd = \"x\"\nautorestart = \"sometimes\"\n",
               ":3: programs.a.autorestart:");
  expect_error("[programs.a]\ncmd = \"x\"\nexitcodes = [0, 300]\n", ":3: programs.a.exitcodes:");
  expect_error("[programs.a]\ncmd = \"x\"\nstarttime = -1\n", ":3: programs.a.starttime:");
  expect_error("[programs.a]\ncmd = \"x\"\nstopsignal = \"TERMINATE\"\n",
               ":3: programs.a.stopsignal:");
  expect_error("[programs.a]\ncmd = \"x\"\nstderr = 5\n", ":3: programs.a.stderr:");
  expect_error("[programs.a]\ncmd = \"x\"\nstdout_maxbytes = \"10 parsecs\"\n",
               ":3: programs.a.stdout_maxbytes:");
  // A size that overflows 64 bits once scaled is an error, not a silent 0 (= never rotate).
  expect_error("[programs.a]\ncmd = \"x\"\nstdout_maxbytes = \"17179869184GB\"\n",
               ":3: programs.a.stdout_maxbytes:");
  expect_error("[programs.a]\ncmd = \"x\"\nstdout_maxbytes = \"2048GB\"\n",
               ":3: programs.a.stdout_maxbytes:");
  expect_error("[programs.a]\ncmd = \"x\"\nenv = { A = [1] }\n", ":3: programs.a.env.A:");
  expect_error("[programs.a]\ncmd = \"x\"\numask = \"999\"\n", ":3: programs.a.umask:");
  expect_error("[programs.a]\ncmd = \"x\"\nstdin = \"keyboard\"\n", ":3: programs.a.stdin:");
  expect_error("[programs.a]\ncmd = \"x\"\ncolour = \"red\"\n",
               ":3: programs.a.colour: unknown key");
  expect_error("[programs.a]\ncmd = \"echo 'unterminated\"\n",
               ":2: programs.a.cmd: unterminated single quote");
  expect_error("[programs.a]\ncmd = []\n", ":2: programs.a.cmd: must name a program");
  expect_error("[programs.a]\ncmd = \"x %(nope)s\"\n", ":2: programs.a.cmd:");
  expect_error("[programs.\"a:b\"]\ncmd = \"x\"\n", "programs.a:b: name must match");
  expect_error("[programs]\na = 1\n", "programs.a: must be a table");
}

// The example configuration of seed 004 (section 7.1), written as TOML.
TEST(ProgramConfig, SeedSampleLoads) {
  auto config = parse(R"(
[programs.nginx]
cmd = "/usr/local/bin/nginx -c /etc/nginx/test.conf"
numprocs = 1
umask = "022"
workingdir = "/tmp"
autostart = true
autorestart = "unexpected"
exitcodes = [0, 2]
startretries = 3
starttime = 5
stopsignal = "TERM"
stoptime = 10
stdout = "/tmp/nginx.stdout"
stderr = "/tmp/nginx.stderr"
env = { STARTED_BY = "taskmaster", ANSWER = 42 }

[programs.vogsphere]
cmd = "/usr/local/bin/vogsphere-worker --no-prefork"
numprocs = 8
umask = "077"
workingdir = "/tmp"
autostart = true
autorestart = "unexpected"
exitcodes = 0
startretries = 3
starttime = 5
stopsignal = "USR1"
stoptime = 10
stdout = "/tmp/vgsworker.stdout"
stderr = "/tmp/vgsworker.stderr"
)");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->programs.size(), 2u);
  EXPECT_EQ(config->programs[1].numprocs, 8);
  EXPECT_EQ(config->programs[1].stopsignal, SIGUSR1);
}

}  // namespace
}  // namespace taskd
