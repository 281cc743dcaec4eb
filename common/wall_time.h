// Wall-clock time as the daemon records it: milliseconds since the Unix epoch, and the one text
// form used on the wire and on disk ("2026-11-29T18:00:00.123Z").
#pragma once

#include <cstdint>
#include <string>

namespace taskd {

std::int64_t unix_now_ms();
// "" for 0 or negative (a time that was never set).
std::string iso_time(std::int64_t unix_ms);

}  // namespace taskd
