// taskctl's pure helpers: event one-liners, global options, the history file location.
#include "ctl/options.h"
#include "ctl/render.h"
#include "ctl/shell.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <regex>

namespace taskd::ctl {
namespace {

std::string event(const std::string& json) {
  std::string line = format_event(boost::json::parse(json));
  // The time is local; check its shape and strip it.
  std::regex time(R"(^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} )");
  EXPECT_TRUE(std::regex_search(line, time)) << line;
  return std::regex_replace(line, time, "");
}

TEST(CtlEvents, ProcessStateLines) {
  EXPECT_EQ(event(R"({"topic":"process","type":"state","name":"web","group":"web",
      "from":"STARTING","to":"RUNNING","pid":4242,"seq":3,"time_ms":1764438000123})"),
            "process.state web: STARTING -> RUNNING (pid 4242)");
  EXPECT_EQ(event(R"({"topic":"process","type":"state","name":"web","from":"RUNNING",
      "to":"EXITED","pid":0,"exit_code":1,"time_ms":0})"),
            "process.state web: RUNNING -> EXITED (exit status 1)");
  EXPECT_EQ(event(R"({"topic":"process","type":"state","name":"web","from":"STOPPING",
      "to":"STOPPED","pid":0,"exit_signal":15,"time_ms":0})"),
            "process.state web: STOPPING -> STOPPED (terminated by SIGTERM)");
  EXPECT_EQ(event(R"({"topic":"process","type":"orphan","pid":77,"status":"exit status 0",
      "time_ms":0})"),
            "process.orphan pid 77 (exit status 0)");
}

TEST(CtlEvents, DaemonAndUnknownEvents) {
  EXPECT_EQ(event(R"({"topic":"daemon","type":"reload","added":["a","b"],"changed":[],
      "removed":["c"],"time_ms":0})"),
            "daemon.reload added a, b; removed c");
  EXPECT_EQ(event(R"({"topic":"daemon","type":"reload","added":[],"changed":[],"removed":[],
      "time_ms":0})"),
            "daemon.reload no changes");
  EXPECT_EQ(event(R"({"topic":"daemon","type":"shutdown","seq":9,"time_ms":0})"),
            "daemon.shutdown");
  EXPECT_EQ(event(R"({"topic":"task","type":"state","id":"t1","state":"READY",
      "reason":"two words","steps":[1,2],"time_ms":0})"),
            R"(task.state id=t1 state=READY reason="two words" steps=[1,2])");
  EXPECT_EQ(format_event(boost::json::parse("[1]")), "event [1]");
}

TEST(CtlOptions, GlobalOptionsBeforeTheCommand) {
  GlobalOptions options;
  EXPECT_FALSE(parse_global_options(
      {"-s", "unix:/x.sock", "--json", "--connect-timeout", "2.5", "status", "--json"}, options));
  EXPECT_EQ(options.address, "unix:/x.sock");
  EXPECT_TRUE(options.json);
  EXPECT_EQ(options.connect_timeout_ms, 2500);
  EXPECT_EQ(options.words, (Args{"status", "--json"}));  // after the command: its arguments

  GlobalOptions dashdash;
  EXPECT_FALSE(parse_global_options({"--", "-weird"}, dashdash));
  EXPECT_EQ(dashdash.words, (Args{"-weird"}));

  GlobalOptions bad;
  EXPECT_TRUE(parse_global_options({"--bogus"}, bad));
  EXPECT_TRUE(parse_global_options({"-s"}, bad));
  EXPECT_TRUE(parse_global_options({"--connect-timeout", "0"}, bad));
  EXPECT_TRUE(parse_global_options({"--connect-timeout", "x"}, bad));
  GlobalOptions help;
  EXPECT_FALSE(parse_global_options({"-h"}, help));
  EXPECT_TRUE(help.help);
  EXPECT_TRUE(help.words.empty());
}

TEST(CtlShell, HistoryFileLocation) {
  EXPECT_EQ(history_file_path("/tmp/h", "/state", "/home/u"), "/tmp/h");
  EXPECT_EQ(history_file_path("", "/state", "/home/u"), "");  // explicitly disabled
  EXPECT_EQ(history_file_path(nullptr, "/state", "/home/u"), "/state/taskctl/history");
  EXPECT_EQ(history_file_path(nullptr, "relative", "/home/u"), "/home/u/.taskctl_history");
  EXPECT_EQ(history_file_path(nullptr, nullptr, "/home/u"), "/home/u/.taskctl_history");
  EXPECT_EQ(history_file_path(nullptr, nullptr, nullptr), "");
}

}  // namespace
}  // namespace taskd::ctl
