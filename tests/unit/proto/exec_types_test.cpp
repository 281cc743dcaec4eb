// exec.run's codec (proto/exec_types): the command it decodes, and output chunks that never cut a
// UTF-8 character.
#include "proto/exec_types.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace taskd::proto {
namespace {

TEST(ExecTypes, DecodesTheCommandIntoACommandSpec) {
  auto params = decode_exec_params(boost::json::parse(
      R"({"cmd":["sh","-c"],"args":["true"],"env":{"A":"1"},"cwd":"/tmp","umask":"027",
          "user":"nobody"})"));
  ASSERT_TRUE(params) << params.error().message;
  EXPECT_EQ(params->command.argv, (std::vector<std::string>{"sh", "-c", "true"}));
  EXPECT_EQ(params->command.env.at("A"), "1");
  EXPECT_EQ(params->command.cwd, "/tmp");
  EXPECT_EQ(params->command.umask, 027u);
  EXPECT_EQ(params->command.user, "nobody");
}

TEST(ExecTypes, AChunkHoldsBackAnUnfinishedCharacter) {
  OutputChunker chunker;
  std::string euro = "\xe2\x82\xac";  // three bytes
  auto first = chunker.take(0, "ab" + euro.substr(0, 2));
  EXPECT_EQ(first.offset, 0u);
  EXPECT_EQ(first.bytes, "ab");
  auto second = chunker.take(4, euro.substr(2) + "c");
  EXPECT_EQ(second.offset, 2u);
  EXPECT_EQ(second.bytes, euro + "c");
  EXPECT_TRUE(chunker.rest().bytes.empty());
}

TEST(ExecTypes, TheRestIsSentWhenTheStreamEndsInsideACharacter) {
  OutputChunker chunker;
  auto first = chunker.take(10, "x\xe2\x82");
  EXPECT_EQ(first.bytes, "x");
  auto rest = chunker.rest();
  EXPECT_EQ(rest.offset, 11u);
  EXPECT_EQ(rest.bytes, "\xe2\x82");
  EXPECT_TRUE(chunker.rest().bytes.empty());
}

TEST(ExecTypes, BinaryOutputIsNotHeldBack) {
  OutputChunker chunker;
  std::string binary = "\xff\xfe\xe2\x82";  // not UTF-8 before the cut: nothing to wait for
  EXPECT_EQ(chunker.take(0, binary).bytes, binary);
  EXPECT_TRUE(chunker.rest().bytes.empty());
}

TEST(ExecTypes, OutputChunksAreTextOrBase64) {
  auto text = encode_output_chunk("e-1", "stdout", 5, "hi");
  EXPECT_EQ(text.at("encoding").as_string(), "utf-8");
  EXPECT_EQ(text.at("data").as_string(), "hi");
  auto binary = encode_output_chunk("e-1", "stderr", 0, "\xff");
  EXPECT_EQ(binary.at("encoding").as_string(), "base64");
  EXPECT_EQ(binary.at("data").as_string(), "/w==");
}

}  // namespace
}  // namespace taskd::proto
