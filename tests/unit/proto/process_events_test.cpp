// The `process` event codecs (docs/protocol.md, events): field names and the exit_code /
// exit_signal choice are wire contract.
#include "proto/programs_types.h"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

namespace taskd::proto {
namespace {

TEST(ProcessEvents, StateChangeNamesHowTheRunEnded) {
  ProcessStateEvent event{
      "web", "web", "STOPPING", "STOPPED", 42, "terminated by SIGTERM", ProgramExit{true, 15}};
  EXPECT_EQ(boost::json::serialize(encode_process_state_event(event)),
            R"({"name":"web","group":"web","from":"STOPPING","to":"STOPPED","pid":42,)"
            R"("message":"terminated by SIGTERM","exit_signal":15})");
  event.exit = ProgramExit{false, 3};
  EXPECT_EQ(encode_process_state_event(event).at("exit_code"), 3);
  event.exit.reset();
  auto fields = encode_process_state_event(event);
  EXPECT_FALSE(fields.contains("exit_code") || fields.contains("exit_signal"));
}

TEST(ProcessEvents, OutputLossAndRecoveryAreTwoEventTypes) {
  OutputLossEvent dropped{"web", "g", "stdout", "/var/log/web.out", false, 0, "No space left"};
  EXPECT_EQ(output_loss_event_type(dropped), "output_dropped");
  EXPECT_EQ(encode_output_loss_event(dropped).at("error"), "No space left");
  EXPECT_FALSE(encode_output_loss_event(dropped).contains("dropped_bytes"));
  OutputLossEvent resumed{"web", "g", "stdout", "/var/log/web.out", true, 4096, ""};
  EXPECT_EQ(output_loss_event_type(resumed), "output_resumed");
  EXPECT_EQ(encode_output_loss_event(resumed).at("dropped_bytes"), 4096);
  EXPECT_FALSE(encode_output_loss_event(resumed).contains("error"));
}

TEST(ProcessEvents, Orphan) {
  EXPECT_EQ(boost::json::serialize(encode_orphan_event(7, "exit status 0")),
            R"({"pid":7,"status":"exit status 0"})");
}

}  // namespace
}  // namespace taskd::proto
