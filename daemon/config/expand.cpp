#include "daemon/config/expand.h"

namespace taskd {
namespace {

// Wider padding is a typo; an unbounded one overflowed the int and could pad to gigabytes.
constexpr int kMaxWidth = 64;

Error bad_template(std::string_view text, std::string_view why) {
  return make_error(ErrorCode::kInvalidConfig,
                    "bad %(...) expression in '" + std::string(text) + "': " + std::string(why));
}

}  // namespace

Result<std::string> expand_vars(std::string_view text, const ExpandVars& vars) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '%') {
      out.push_back(text[i++]);
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '%') {
      out.push_back('%');
      i += 2;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '(') return bad_template(text, "expected %(name)");
    auto close = text.find(')', i + 2);
    if (close == std::string_view::npos) return bad_template(text, "missing ')'");
    std::string_view name = text.substr(i + 2, close - i - 2);
    std::size_t j = close + 1;
    bool zero_pad = j < text.size() && text[j] == '0';
    int width = 0;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') {
      width = width * 10 + (text[j++] - '0');
      if (width > kMaxWidth) return bad_template(text, "width over 64");
    }
    if (j >= text.size() || (text[j] != 'd' && text[j] != 's')) {
      return bad_template(text, "expected a 'd' or 's' conversion");
    }
    std::string value;
    if (name == "process_num") {
      value = std::to_string(vars.process_num);
    } else if (name == "program_name" || name == "group_name") {
      value = std::string(vars.program_name);
    } else {
      return bad_template(text, "unknown name '" + std::string(name) + "'");
    }
    if (static_cast<int>(value.size()) < width) {
      value.insert(0, static_cast<std::size_t>(width) - value.size(), zero_pad ? '0' : ' ');
    }
    out += value;
    i = j + 1;
  }
  return out;
}

}  // namespace taskd
