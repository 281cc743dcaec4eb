// Fuzzes common/text_encoding with what a child process prints (hostile bytes): whether output
// goes on the wire as a JSON string or as base64 is decided by is_valid_utf8, so it must agree
// with a real JSON parser (Boost.JSON's validation), or a reply would not be JSON; chunks are cut
// at utf8_complete_prefix; base64 must give the bytes back; base64 from clients must not crash.
#include "common/text_encoding.h"
#include "fuzz_check.h"

#include <boost/json/parse.hpp>

#include <string>
#include <string_view>

namespace {

// Text that needs no escaping inside a JSON string (no quote, backslash or control character).
bool plain(std::string_view text) {
  for (char c : text) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

// For plain text, Boost.JSON accepts `"text"` exactly when text is valid UTF-8.
bool json_accepts(std::string_view text) {
  boost::system::error_code ec;
  (void)boost::json::parse("\"" + std::string(text) + "\"", ec);
  return !ec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  bool valid = taskd::is_valid_utf8(bytes);
  if (plain(bytes)) FUZZ_CHECK(valid == json_accepts(bytes), "UTF-8 validity as JSON sees it");

  std::size_t whole = taskd::utf8_complete_prefix(bytes);
  FUZZ_CHECK(whole <= bytes.size() && bytes.size() - whole <= 3, "at most 3 bytes held back");
  if (valid) FUZZ_CHECK(whole == bytes.size(), "valid text is complete");
  FUZZ_CHECK(taskd::utf8_continuation_prefix(bytes) <= 3, "at most 3 leading continuations");

  std::string encoded = taskd::base64_encode(bytes);
  FUZZ_CHECK(encoded.size() % 4 == 0, "base64 comes in quads");
  auto decoded = taskd::base64_decode(encoded);
  FUZZ_CHECK(decoded && *decoded == bytes, "base64 gives the bytes back");
  (void)taskd::base64_decode(bytes);  // stdin_base64 / content_base64 from a client
  return 0;
}
