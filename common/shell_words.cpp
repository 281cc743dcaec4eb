#include "common/shell_words.h"

namespace taskd {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Inside double quotes a backslash escapes only these (POSIX 2.2.3).
bool escapable_in_double_quotes(char c) {
  return c == '$' || c == '`' || c == '"' || c == '\\' || c == '\n';
}

}  // namespace

Result<std::vector<std::string>> split_shell_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (is_blank(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) return make_error(ErrorCode::kInvalidParams, "trailing backslash");
      if (text[i + 1] != '\n') word.push_back(text[i + 1]);  // backslash-newline joins lines
      in_word = true;
      i += 2;
    } else if (c == '\'') {
      auto end = text.find('\'', i + 1);
      if (end == std::string_view::npos) {
        return make_error(ErrorCode::kInvalidParams, "unterminated single quote");
      }
      word.append(text.substr(i + 1, end - i - 1));
      in_word = true;
      i = end + 1;
    } else if (c == '"') {
      ++i;
      for (;;) {
        if (i >= text.size()) {
          return make_error(ErrorCode::kInvalidParams, "unterminated double quote");
        }
        char d = text[i];
        if (d == '"') break;
        if (d == '\\' && i + 1 < text.size() && escapable_in_double_quotes(text[i + 1])) {
          if (text[i + 1] != '\n') word.push_back(text[i + 1]);
          i += 2;
          continue;
        }
        word.push_back(d);
        ++i;
      }
      in_word = true;
      ++i;
    } else {
      word.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace taskd
