// UTF-8 validation and base64, for returning process output that may not be text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace taskd {

bool is_valid_utf8(std::string_view text);
// Length of the longest prefix that does not end inside a multi-byte sequence.
std::size_t utf8_complete_prefix(std::string_view text);
// Number of leading continuation bytes (a slice that starts mid-character), at most 3.
std::size_t utf8_continuation_prefix(std::string_view text);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace taskd
