// Fuzzes common/shell_words (`cmd = "..."` strings in taskd.toml, taskctl's command lines): any
// input either fails with a message or gives words that, quoted back the way a shell script
// would quote them, split into the very same words.
#include "common/shell_words.h"
#include "fuzz_check.h"

#include <string>
#include <string_view>

namespace {

// 'word' with each ' written as '\'' — the one quoting that keeps every byte literal.
std::string single_quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto words = taskd::split_shell_words(text);
  if (!words) {
    FUZZ_CHECK(!words.error().message.empty(), "a failure says why");
    return 0;
  }
  std::string quoted;
  for (const auto& word : *words) quoted += single_quoted(word) + " ";
  auto again = taskd::split_shell_words(quoted);
  FUZZ_CHECK(again.has_value(), "quoted words split again");
  FUZZ_CHECK(*again == *words, "quoted words split into the same words");
  return 0;
}
