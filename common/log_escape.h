// Makes foreign text (a child's output, a client's method name, a program name, an error from
// a file the agent wrote) safe to put on one log line: nothing in it can end the line, start a
// forged one, or drive a terminal. Every log line passes through escape_for_log (log.cpp's sinks
// apply it), so call sites need not remember to.
#pragma once

#include <string>
#include <string_view>

namespace taskd {

// \n \r \t as themselves escaped, other C0 controls, DEL and C1 controls (U+0080..U+009F) as
// \xNN / \u00NN, U+2028/U+2029 (line and paragraph separators) as \u2028/\u2029, and every byte
// of invalid UTF-8 as \xNN. Backslashes stay as they are: escaping is for safety, not for a
// reversible encoding. Valid UTF-8 text without controls comes back unchanged.
std::string escape_for_log(std::string_view text);

// True when escape_for_log would change `text` (lets the hot path skip a copy).
bool needs_log_escape(std::string_view text);

}  // namespace taskd
