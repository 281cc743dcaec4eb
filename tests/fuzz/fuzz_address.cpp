// Fuzzes common/address (taskd -s, taskctl -s, [daemon] socket and announce): any text either
// fails with a message or gives an address whose printed form parses back to the same address.
#include "common/address.h"
#include "fuzz_check.h"

#include <string_view>

namespace {

bool same(const taskd::Address& a, const taskd::Address& b) {
  if (a.index() != b.index()) return false;
  if (auto* unix_a = std::get_if<taskd::UnixAddress>(&a))
    return unix_a->path == std::get<taskd::UnixAddress>(b).path;
  if (auto* vsock_a = std::get_if<taskd::VsockAddress>(&a)) {
    const auto& vsock_b = std::get<taskd::VsockAddress>(b);
    return vsock_a->cid == vsock_b.cid && vsock_a->port == vsock_b.port;
  }
  const auto& fc_a = std::get<taskd::FirecrackerAddress>(a);
  const auto& fc_b = std::get<taskd::FirecrackerAddress>(b);
  return fc_a.uds_path == fc_b.uds_path && fc_a.port == fc_b.port;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto address = taskd::parse_address(text);
  if (!address) {
    FUZZ_CHECK(address.error().code == taskd::ErrorCode::kInvalidParams, "bad addresses: -32602");
    return 0;
  }
  if (auto* unix_address = std::get_if<taskd::UnixAddress>(&*address)) {
    FUZZ_CHECK(!unix_address->path.empty() && unix_address->path.size() < 108,
               "a socket path fits sockaddr_un");
    FUZZ_CHECK(unix_address->path.find('\0') == std::string::npos, "no NUL in a socket path");
  }
  auto again = taskd::parse_address(taskd::to_string(*address));
  FUZZ_CHECK(again.has_value(), "a printed address parses");
  FUZZ_CHECK(same(*again, *address), "a printed address parses to the same address");
  return 0;
}
