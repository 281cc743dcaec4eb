// The agent line protocol as the session sees it (docs/agents.md): what each line from the agent
// means for the turn in progress, without a process.
#include "daemon/sessions/agent_link.h"

#include <gtest/gtest.h>

namespace taskd::sessions {
namespace {

using Kind = AgentLine::Kind;

TEST(TurnAccount, ReadyLineIsReadyInAndOutOfATurn) {
  TurnAccount turns;
  EXPECT_EQ(turns.take(R"({"type":"ready"})", true, 0).kind, Kind::kReady);
  turns.begin("hi", 0);
  EXPECT_EQ(turns.take(R"({"type":"ready"})", true, 0).kind, Kind::kReady);
  EXPECT_TRUE(turns.in_progress());
}

TEST(TurnAccount, OutputOutsideATurnIsPassedOnButNotRecorded) {
  TurnAccount turns;
  AgentLine banner = turns.take(R"({"type":"output","chunk":"hello\n"})", true, 0);
  EXPECT_EQ(banner.kind, Kind::kOutput);
  EXPECT_EQ(banner.chunk, "hello\n");
  EXPECT_FALSE(banner.in_turn);
  turns.begin("q", 10);
  AgentLine end = turns.take(R"({"type":"end"})", true, 20);
  ASSERT_TRUE(end.turn);
  EXPECT_EQ(end.turn->output, "");
}

TEST(TurnAccount, ATurnRecordsItsPromptOutputUsageAndTimes) {
  TurnAccount turns;
  turns.begin("fix it", 100);
  AgentLine out = turns.take(R"({"type":"output","chunk":"done"})", true, 150);
  EXPECT_TRUE(out.in_turn);
  AgentLine other = turns.take("not json", true, 160);
  EXPECT_EQ(other.kind, Kind::kOutput) << "anything else is forwarded as output";
  EXPECT_EQ(other.chunk, "not json\n");
  AgentLine end = turns.take(R"({"type":"end","usage":{"tokens":3}})", true, 200);
  EXPECT_EQ(end.kind, Kind::kTurnEnd);
  ASSERT_TRUE(end.turn);
  EXPECT_EQ(end.turn->prompt, "fix it");
  EXPECT_EQ(end.turn->output, "donenot json\n");
  EXPECT_EQ(end.turn->usage_json, R"({"tokens":3})");
  EXPECT_EQ(end.turn->started_at_ms, 100);
  EXPECT_EQ(end.turn->ended_at_ms, 200);
  EXPECT_FALSE(turns.in_progress());
}

TEST(TurnAccount, AnEndWithoutAPromptClosesNothing) {
  TurnAccount turns;
  EXPECT_EQ(turns.take(R"({"type":"end"})", true, 0).kind, Kind::kIgnored);
  EXPECT_FALSE(turns.in_progress());
}

TEST(TurnAccount, PiecesOfAnOverlongLineAreOutputEvenIfTheyLookLikeMessages) {
  TurnAccount turns;
  turns.begin("q", 0);
  AgentLine piece = turns.take(R"({"type":"end"})", false, 0);
  EXPECT_EQ(piece.kind, Kind::kOutput);
  EXPECT_EQ(piece.chunk, R"({"type":"end"})");
  EXPECT_TRUE(turns.in_progress());
}

TEST(TurnAccount, RecordsAtMostOneMebibyteOfATurnsOutput) {
  TurnAccount turns;
  turns.begin("q", 0);
  std::string big(TurnAccount::kMaxTurnOutput - 1, 'x');
  turns.take(big, false, 0);
  AgentLine more = turns.take("yyyy", false, 0);
  EXPECT_EQ(more.chunk, "yyyy") << "the event still carries everything";
  AgentLine end = turns.take(R"({"type":"end"})", true, 0);
  ASSERT_TRUE(end.turn);
  EXPECT_EQ(end.turn->output.size(), TurnAccount::kMaxTurnOutput);
  EXPECT_EQ(end.turn->output.back(), 'y');
}

TEST(TurnAccount, ADroppedTurnIsLost) {
  TurnAccount turns;
  turns.begin("q", 0);
  turns.drop();
  EXPECT_FALSE(turns.in_progress());
  EXPECT_EQ(turns.take(R"({"type":"end"})", true, 0).kind, Kind::kIgnored);
}

}  // namespace
}  // namespace taskd::sessions
