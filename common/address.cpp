#include "common/address.h"

#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>

namespace taskd {
namespace {

constexpr std::size_t kMaxUnixPath = sizeof(sockaddr_un::sun_path) - 1;

Error bad_address(std::string_view text, std::string_view why) {
  return make_error(ErrorCode::kInvalidParams,
                    "invalid address '" + std::string(text) + "': " + std::string(why));
}

bool parse_u32(std::string_view text, std::uint32_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

Result<Address> parse_unix(std::string_view original, std::string_view path) {
  if (path.empty()) return bad_address(original, "empty socket path");
  if (path.size() > kMaxUnixPath) {
    return bad_address(original,
                       "socket path longer than " + std::to_string(kMaxUnixPath) + " bytes");
  }
  if (path.find('\0') != std::string_view::npos) return bad_address(original, "NUL in path");
  return Address{UnixAddress{std::string(path)}};
}

Result<Address> parse_vsock(std::string_view original, std::string_view rest) {
  auto colon = rest.find(':');
  if (colon == std::string_view::npos) return bad_address(original, "expected vsock:CID:PORT");
  std::string_view cid_text = rest.substr(0, colon);
  VsockAddress address;
  if (cid_text == "any") {
    address.cid = kVsockCidAny;
  } else if (!parse_u32(cid_text, address.cid)) {
    return bad_address(original, "CID must be a number or 'any'");
  }
  if (!parse_u32(rest.substr(colon + 1), address.port)) {
    return bad_address(original, "port must be a number");
  }
  return Address{address};
}

Result<Address> parse_firecracker(std::string_view original, std::string_view rest) {
  auto colon = rest.rfind(':');  // the path itself may contain colons
  if (colon == std::string_view::npos) return bad_address(original, "expected fc:PATH:PORT");
  FirecrackerAddress address;
  if (!parse_u32(rest.substr(colon + 1), address.port)) {
    return bad_address(original, "port must be a number");
  }
  auto path = parse_unix(original, rest.substr(0, colon));
  if (!path) return path.error();
  address.uds_path = std::get<UnixAddress>(*path).path;
  return Address{address};
}

}  // namespace

Result<Address> parse_address(std::string_view text) {
  if (text.starts_with("unix:")) return parse_unix(text, text.substr(5));
  if (text.starts_with("vsock:")) return parse_vsock(text, text.substr(6));
  if (text.starts_with("fc:")) return parse_firecracker(text, text.substr(3));
  // A bare path, unless it looks like a mistyped scheme ("vsok:3:52").
  auto colon = text.find(':');
  auto slash = text.find('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
    return bad_address(text, "unknown scheme (use unix:, vsock: or fc:)");
  }
  return parse_unix(text, text);
}

std::string to_string(const Address& address) {
  struct Printer {
    std::string operator()(const UnixAddress& a) const { return "unix:" + a.path; }
    std::string operator()(const VsockAddress& a) const {
      std::string cid = a.cid == kVsockCidAny ? "any" : std::to_string(a.cid);
      return "vsock:" + cid + ":" + std::to_string(a.port);
    }
    std::string operator()(const FirecrackerAddress& a) const {
      return "fc:" + a.uds_path + ":" + std::to_string(a.port);
    }
  };
  return std::visit(Printer{}, address);
}

std::string default_socket_path() {
  if (geteuid() == 0) return "/run/taskd.sock";
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime) {
    return std::string(runtime) + "/taskd.sock";
  }
  return "/tmp/taskd-" + std::to_string(geteuid()) + ".sock";
}

}  // namespace taskd
