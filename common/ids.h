// Strict user and group ids: decimal digits only, into 32 bits, never the values that mean
// "no change" or wrap (−1, 2^32−1 and above). Used wherever a name or number picks an identity
// for a privileged operation, so "4294967296" can never become uid 0.
#pragma once

#include "common/error.h"

#include <sys/types.h>

#include <optional>
#include <string_view>

namespace taskd {

// The id when `text` is only decimal digits and below 2^32−1; nullopt otherwise (signs, spaces,
// empty, too large).
std::optional<std::uint32_t> parse_numeric_id(std::string_view text);

// True when `text` looks like a number (digits only) but is not a valid id: such a text must be
// refused, not looked up as a name.
bool is_out_of_range_id(std::string_view text);

struct UserId {
  uid_t uid = 0;
  std::optional<gid_t> primary_gid;  // set when the user was found by name
};

// A user or group by name (getpwnam_r/getgrnam_r), else by strict number. A number need not exist
// in the databases. kInvalidParams when neither works.
Result<UserId> resolve_user_id(std::string_view user);
Result<gid_t> resolve_group_id(std::string_view group);

// Task and session ids: [A-Za-z0-9][A-Za-z0-9._-]{0,63}. They name directories, so nothing else.
bool is_valid_task_id(std::string_view id);

}  // namespace taskd
