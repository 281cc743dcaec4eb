#include "ctl/completion.h"

#include <algorithm>

namespace taskd::ctl {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_syntax(char c) { return is_blank(c) || c == '\'' || c == '"' || c == '\\'; }

void sort_unique(std::vector<std::string>& words) {
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
}

}  // namespace

PartialLine split_partial_line(std::string_view line) {
  PartialLine result;
  enum class Quote { kNone, kSingle, kDouble } quote = Quote::kNone;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (!in_word && !is_blank(c)) {
      in_word = true;
      result.current_start = i;
    }
    if (quote == Quote::kSingle) {
      if (c == '\'')
        quote = Quote::kNone;
      else
        result.current.push_back(c);
    } else if (quote == Quote::kDouble) {
      if (c == '"') {
        quote = Quote::kNone;
      } else if (c == '\\' && i + 1 < line.size() &&
                 std::string_view("$`\"\\").find(line[i + 1]) != std::string_view::npos) {
        result.current.push_back(line[++i]);
      } else {
        result.current.push_back(c);
      }
    } else if (is_blank(c)) {
      if (in_word) result.words.push_back(std::move(result.current));
      result.current.clear();
      in_word = false;
    } else if (c == '\'') {
      quote = Quote::kSingle;
    } else if (c == '"') {
      quote = Quote::kDouble;
    } else if (c == '\\') {
      if (i + 1 < line.size()) result.current.push_back(line[++i]);
    } else {
      result.current.push_back(c);
    }
  }
  if (!in_word) result.current_start = line.size();
  return result;
}

std::string quote_word(std::string_view word) {
  std::string quoted;
  for (char c : word) {
    if (is_syntax(c)) quoted.push_back('\\');
    quoted.push_back(c);
  }
  return quoted;
}

std::string common_prefix(const std::vector<std::string>& candidates) {
  if (candidates.empty()) return {};
  std::string prefix = candidates.front();
  for (const auto& candidate : candidates) {
    auto mismatch = std::mismatch(prefix.begin(), prefix.end(), candidate.begin(), candidate.end());
    prefix.erase(mismatch.first, prefix.end());
  }
  return prefix;
}

std::vector<std::string> complete_words(CompletionContext& context, const Args& words,
                                        std::string_view current) {
  std::vector<std::string> candidates;
  if (words.empty()) {
    for (const Command& command : all_commands()) candidates.emplace_back(command.name);
  } else if (const Command* command = find_command(words.front()); command && command->complete) {
    candidates = command->complete(context, Args(words.begin() + 1, words.end()), current);
  }
  std::erase_if(candidates, [&](const std::string& c) { return !c.starts_with(current); });
  sort_unique(candidates);
  return candidates;
}

Completion complete_line(CompletionContext& context, std::string_view line_before_cursor) {
  PartialLine partial = split_partial_line(line_before_cursor);
  auto candidates = complete_words(context, partial.words, partial.current);
  return Completion{partial.current_start, std::move(partial.current), std::move(candidates)};
}

}  // namespace taskd::ctl
