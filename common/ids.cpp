#include "common/ids.h"

#include <grp.h>
#include <pwd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <vector>

namespace taskd {
namespace {

constexpr std::size_t kInitialBuffer = 16384;
constexpr std::size_t kMaxBuffer = 1 << 20;

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// Calls a getpwnam_r-style lookup, growing the buffer on ERANGE. True when found.
template <class Entry, class Lookup>
bool lookup_entry(Lookup lookup, Entry& entry, std::vector<char>& buffer) {
  buffer.resize(kInitialBuffer);
  for (;;) {
    Entry* found = nullptr;
    int rc = lookup(&entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < kMaxBuffer) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    return rc == 0 && found != nullptr;
  }
}

}  // namespace

std::optional<std::uint32_t> parse_numeric_id(std::string_view text) {
  if (!all_digits(text)) return std::nullopt;
  std::uint32_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (id == static_cast<std::uint32_t>(-1)) return std::nullopt;  // chown's "no change"
  return id;
}

bool is_out_of_range_id(std::string_view text) {
  return all_digits(text) && !parse_numeric_id(text);
}

Result<UserId> resolve_user_id(std::string_view user) {
  std::string name(user);
  passwd entry{};
  std::vector<char> buffer;
  auto by_name = [&](passwd* e, char* b, std::size_t n, passwd** r) {
    return ::getpwnam_r(name.c_str(), e, b, n, r);
  };
  if (!name.empty() && name.find('\0') == std::string::npos &&
      lookup_entry(by_name, entry, buffer)) {
    return UserId{entry.pw_uid, entry.pw_gid};
  }
  if (auto id = parse_numeric_id(user)) return UserId{static_cast<uid_t>(*id), std::nullopt};
  return make_error(ErrorCode::kInvalidParams, "no such user '" + name + "'");
}

Result<gid_t> resolve_group_id(std::string_view group_name) {
  std::string name(group_name);
  group entry{};
  std::vector<char> buffer;
  auto by_name = [&](group* e, char* b, std::size_t n, group** r) {
    return ::getgrnam_r(name.c_str(), e, b, n, r);
  };
  if (!name.empty() && name.find('\0') == std::string::npos &&
      lookup_entry(by_name, entry, buffer)) {
    return entry.gr_gid;
  }
  if (auto id = parse_numeric_id(group_name)) return static_cast<gid_t>(*id);
  return make_error(ErrorCode::kInvalidParams, "no such group '" + name + "'");
}

bool is_valid_task_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || !std::isalnum(static_cast<unsigned char>(id[0])))
    return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  }
  return true;
}

}  // namespace taskd
