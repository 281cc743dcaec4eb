// Strict user and group ids: decimal digits only, into 32 bits, never the values that mean
// "no change" or wrap (−1, 2^32−1 and above). Used wherever a name or number picks an identity
// for a privileged operation, so "4294967296" can never become uid 0.
#pragma once

#include "common/error.h"

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace taskd {

// The id when `text` is only decimal digits and below 2^32−1; nullopt otherwise (signs, spaces,
// empty, too large).
std::optional<std::uint32_t> parse_numeric_id(std::string_view text);

// True when `text` looks like a number (digits only) but is not a valid id: such a text must be
// refused, not looked up as a name.
bool is_out_of_range_id(std::string_view text);

// A passwd entry: who a child runs as, whose directory an agent gets.
struct Account {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;            // "/" when the entry has none
  std::string shell;           // "/bin/sh" when the entry has none
  bool found_by_name = false;  // false: `user` was a strict number naming this entry's uid
};

// The one user lookup: by name (getpwnam_r), else by strict number (getpwuid_r); nullopt when
// neither finds an entry. `lookup_error` (optional) receives the errno of a lookup that failed
// rather than found nothing. Called before fork, never in a child (not async-signal-safe).
std::optional<Account> find_account(std::string_view user, int* lookup_error = nullptr);

struct UserId {
  uid_t uid = 0;
  std::optional<gid_t> primary_gid;  // set when the user was found by name
};

// A user (find_account) or group by name, else by strict number; here a number need not exist in
// the databases (chown accepts any id). kInvalidParams when neither works.
Result<UserId> resolve_user_id(std::string_view user);
Result<gid_t> resolve_group_id(std::string_view group);

// Task and session ids: [A-Za-z0-9][A-Za-z0-9._-]{0,63}. They name directories, so nothing else.
bool is_valid_task_id(std::string_view id);

}  // namespace taskd
