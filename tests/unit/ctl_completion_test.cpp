// taskctl's completion engine: partial-line splitting, quoting, and the per-command completers
// that need no daemon (a client aimed at nowhere must simply offer no names).
#include "ctl/completion.h"

#include <gtest/gtest.h>

namespace taskd::ctl {
namespace {

using Strings = std::vector<std::string>;

TEST(CtlCompletion, SplitsAPartialLine) {
  auto plain = split_partial_line("stop web wo");
  EXPECT_EQ(plain.words, (Strings{"stop", "web"}));
  EXPECT_EQ(plain.current, "wo");
  EXPECT_EQ(plain.current_start, 9u);

  auto after_blank = split_partial_line("stop web ");
  EXPECT_EQ(after_blank.words, (Strings{"stop", "web"}));
  EXPECT_EQ(after_blank.current, "");
  EXPECT_EQ(after_blank.current_start, 9u);

  auto open_quote = split_partial_line("start 'my prog");
  EXPECT_EQ(open_quote.words, (Strings{"start"}));
  EXPECT_EQ(open_quote.current, "my prog");
  EXPECT_EQ(open_quote.current_start, 6u);

  auto escaped = split_partial_line(R"(a\ b "c\"d" e\)");
  EXPECT_EQ(escaped.words, (Strings{"a b", "c\"d"}));
  EXPECT_EQ(escaped.current, "e");

  auto empty = split_partial_line("");
  EXPECT_TRUE(empty.words.empty());
  EXPECT_EQ(empty.current, "");
  EXPECT_EQ(empty.current_start, 0u);
}

TEST(CtlCompletion, QuotesAndCommonPrefix) {
  EXPECT_EQ(quote_word("worker:*"), "worker:*");  // no globbing in taskctl's splitter
  EXPECT_EQ(quote_word("my prog"), "my\\ prog");
  EXPECT_EQ(quote_word("it's"), "it\\'s");
  EXPECT_EQ(common_prefix({"worker:*", "worker:worker_00"}), "worker:");
  EXPECT_EQ(common_prefix({"start", "status", "stop"}), "st");
  EXPECT_EQ(common_prefix({}), "");
}

class CtlCompleteLine : public ::testing::Test {
 protected:
  Strings complete(std::string_view line) { return complete_line(context, line).candidates; }

  Client client{"unix:/nonexistent/taskd.sock", ConnectOptions{}};
  CompletionContext context{client};
};

TEST_F(CtlCompleteLine, CommandNames) {
  EXPECT_EQ(complete("sta"), (Strings{"start", "status"}));
  EXPECT_EQ(complete("stat"), (Strings{"status"}));
  EXPECT_EQ(complete("  ev"), (Strings{"events"}));
  EXPECT_EQ(complete("nosuch"), Strings{});
  auto all = complete("");
  EXPECT_NE(std::find(all.begin(), all.end(), "help"), all.end());
  EXPECT_NE(std::find(all.begin(), all.end(), "quit"), all.end());
}

TEST_F(CtlCompleteLine, ArgumentsThatNeedNoDaemon) {
  EXPECT_EQ(complete("help sto"), (Strings{"stop"}));
  EXPECT_EQ(complete("help stop "), Strings{});  // help takes one command
  EXPECT_EQ(complete("signal TE"), (Strings{"TERM"}));
  EXPECT_EQ(complete("signal US"), (Strings{"USR1", "USR2"}));
  EXPECT_EQ(complete("tail -"), (Strings{"-f"}));
  EXPECT_EQ(complete("tail -f web "), (Strings{"stderr", "stdout"}));
  EXPECT_EQ(complete("tail web stdout "), Strings{});
  EXPECT_EQ(complete("maintail -"), (Strings{"-f"}));
  EXPECT_EQ(complete("events process d"), (Strings{"daemon"}));
  EXPECT_EQ(complete("events process pro"), Strings{});  // already on the line
  EXPECT_EQ(complete("completion "), (Strings{"bash", "zsh"}));
  EXPECT_EQ(complete("version "), Strings{});  // no completer
  EXPECT_EQ(complete("frobnicate "), Strings{});
}

TEST_F(CtlCompleteLine, NamesFromAnUnreachableDaemonAreJustAll) {
  EXPECT_EQ(complete("stop "), (Strings{"all"}));
  EXPECT_EQ(complete("signal HUP "), (Strings{"all"}));
  EXPECT_EQ(complete("tail "), Strings{});
  EXPECT_TRUE(task_ids(context).empty());
  EXPECT_TRUE(session_ids(context).empty());
}

TEST_F(CtlCompleteLine, ReplacesFromTheStartOfTheWordWithItsQuotes) {
  auto completion = complete_line(context, "help 'st");
  EXPECT_EQ(completion.replace_from, 5u);
  EXPECT_EQ(completion.current, "st");
  EXPECT_EQ(completion.candidates, (Strings{"start", "status", "stop"}));
}

}  // namespace
}  // namespace taskd::ctl
