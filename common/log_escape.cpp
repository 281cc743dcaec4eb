#include "common/log_escape.h"

#include <cstdint>

namespace taskd {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence at text[i] (1..4), or 0 when the bytes there are not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i, std::uint32_t& code) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  unsigned char lead = byte(0);
  std::size_t extra = (lead & 0xE0) == 0xC0   ? 1
                      : (lead & 0xF0) == 0xE0 ? 2
                      : (lead & 0xF8) == 0xF0 ? 3
                                              : 0;
  if (extra == 0 || i + extra >= text.size()) return 0;  // not a lead byte, or cut short
  code = lead & (0x3F >> extra);
  for (std::size_t k = 1; k <= extra; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(k) & 0x3F);
  }
  static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (code < kMin[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return extra + 1;
}

void append_byte_escape(std::string& out, unsigned char c) {
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

void append_code_escape(std::string& out, std::uint32_t code) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(code >> shift) & 0xF];
}

bool is_unsafe_code(std::uint32_t code) {
  return (code >= 0x80 && code <= 0x9F) || code == 0x2028 || code == 0x2029;
}

// Appends the escaped form of the character at text[i] (or of its invalid lead byte) to `out`
// when `out` is given; returns how many input bytes it took and whether it was escaped.
std::size_t step(std::string_view text, std::size_t i, std::string* out, bool& escaped) {
  auto c = static_cast<unsigned char>(text[i]);
  escaped = true;
  if (c < 0x80) {
    escaped = c < 0x20 || c == 0x7F;
    if (!out) return 1;
    if (!escaped) {
      *out += static_cast<char>(c);
    } else if (c == '\n') {
      *out += "\\n";
    } else if (c == '\r') {
      *out += "\\r";
    } else if (c == '\t') {
      *out += "\\t";
    } else {
      append_byte_escape(*out, c);
    }
    return 1;
  }
  std::uint32_t code = 0;
  std::size_t length = utf8_sequence_length(text, i, code);
  if (length == 0) {
    if (out) append_byte_escape(*out, c);
    return 1;
  }
  escaped = is_unsafe_code(code);
  if (out) {
    if (escaped) {
      append_code_escape(*out, code);
    } else {
      out->append(text.substr(i, length));
    }
  }
  return length;
}

}  // namespace

bool needs_log_escape(std::string_view text) {
  bool escaped = false;
  for (std::size_t i = 0; i < text.size();) {
    i += step(text, i, nullptr, escaped);
    if (escaped) return true;
  }
  return false;
}

std::string escape_for_log(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  bool escaped = false;
  for (std::size_t i = 0; i < text.size();) i += step(text, i, &out, escaped);
  return out;
}

}  // namespace taskd
