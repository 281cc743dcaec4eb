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

// Calls a getpwnam_r-style lookup, growing the buffer on ERANGE. True when found; `error`
// (optional) receives the lookup's errno.
template <class Entry, class Lookup>
bool lookup_entry(Lookup lookup, Entry& entry, std::vector<char>& buffer, int* error = nullptr) {
  buffer.resize(kInitialBuffer);
  for (;;) {
    Entry* found = nullptr;
    int rc = lookup(&entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < kMaxBuffer) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (error) *error = rc;
    return rc == 0 && found != nullptr;
  }
}

Account account_of(const passwd& entry, bool found_by_name) {
  return Account{entry.pw_name,
                 entry.pw_uid,
                 entry.pw_gid,
                 entry.pw_dir && *entry.pw_dir ? entry.pw_dir : "/",
                 entry.pw_shell && *entry.pw_shell ? entry.pw_shell : "/bin/sh",
                 found_by_name};
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

std::optional<Account> find_account(std::string_view user, int* lookup_error) {
  if (lookup_error) *lookup_error = 0;
  std::string name(user);
  if (name.empty() || name.find('\0') != std::string::npos) return std::nullopt;
  passwd entry{};
  std::vector<char> buffer;
  auto by_name = [&](passwd* e, char* b, std::size_t n, passwd** r) {
    return ::getpwnam_r(name.c_str(), e, b, n, r);
  };
  if (lookup_entry(by_name, entry, buffer, lookup_error)) return account_of(entry, true);
  auto id = parse_numeric_id(user);  // strict: "4294967296" must not wrap to root
  if (!id) return std::nullopt;
  auto by_id = [&](passwd* e, char* b, std::size_t n, passwd** r) {
    return ::getpwuid_r(static_cast<uid_t>(*id), e, b, n, r);
  };
  if (lookup_entry(by_id, entry, buffer, lookup_error)) return account_of(entry, false);
  return std::nullopt;
}

Result<UserId> resolve_user_id(std::string_view user) {
  if (auto account = find_account(user); account && account->found_by_name) {
    return UserId{account->uid, account->gid};
  }
  if (auto id = parse_numeric_id(user)) return UserId{static_cast<uid_t>(*id), std::nullopt};
  return make_error(ErrorCode::kInvalidParams, "no such user '" + std::string(user) + "'");
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
