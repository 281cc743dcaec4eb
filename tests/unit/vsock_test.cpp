// vsock pieces that need no vsock traffic: the CID filter, the default port, sockaddr_vm, and the
// client errors that are decided before any connect. (Real vsock traffic: tests/e2e.)
#include "common/vsock.h"
#include "common/client_socket.h"
#include "daemon/rpc/vsock_listener.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace taskd {
namespace {

using rpc::check_vsock_peer;
using rpc::effective_vsock_port;

TEST(VsockPeerFilter, AllowsListedCids) {
  std::vector<std::uint32_t> host_only = {2};
  auto host = check_vsock_peer(2, 1037, host_only);
  ASSERT_TRUE(host);
  EXPECT_EQ(*host, "vsock:2:1037");
  std::vector<std::uint32_t> several = {1, 2, 7};
  EXPECT_TRUE(check_vsock_peer(7, 5, several));
  EXPECT_TRUE(check_vsock_peer(1, 5, several));
}

TEST(VsockPeerFilter, RefusesOthersWithAReason) {
  std::vector<std::uint32_t> host_only = {2};
  auto other_guest = check_vsock_peer(4, 1025, host_only);
  ASSERT_FALSE(other_guest);
  EXPECT_EQ(other_guest.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(other_guest.error().message, "peer vsock:4:1025: CID 4 is not in vsock_allow_cids [2]");
  EXPECT_FALSE(check_vsock_peer(1, 5, host_only));  // loopback is not the host
  EXPECT_FALSE(check_vsock_peer(2, 5, {}));         // an empty list refuses everyone
}

TEST(VsockPort, DefaultsTo52OnlyAsInit) {
  EXPECT_EQ(effective_vsock_port(std::nullopt, false), 0u);
  EXPECT_EQ(effective_vsock_port(std::nullopt, true), 52u);
  EXPECT_EQ(effective_vsock_port(0, true), 0u);  // explicit 0 disables even as init
  EXPECT_EQ(effective_vsock_port(1234, false), 1234u);
  EXPECT_EQ(effective_vsock_port(1234, true), 1234u);
}

TEST(Vsock, Sockaddr) {
  sockaddr_vm address = make_vsock_sockaddr(kVsockCidAny, 52);
  EXPECT_EQ(address.svm_family, AF_VSOCK);
  EXPECT_EQ(address.svm_cid, VMADDR_CID_ANY);
  EXPECT_EQ(address.svm_port, 52u);
  EXPECT_EQ(make_vsock_sockaddr(kVsockCidHost, 1).svm_cid, static_cast<unsigned>(VMADDR_CID_HOST));
  EXPECT_EQ(make_vsock_sockaddr(kVsockCidLocal, 1).svm_cid, 1u);
}

TEST(Vsock, UnavailableErrnos) {
  EXPECT_TRUE(vsock_unavailable_errno(EAFNOSUPPORT));
  EXPECT_TRUE(vsock_unavailable_errno(ENODEV));
  EXPECT_FALSE(vsock_unavailable_errno(EADDRINUSE));  // a real error: the port is taken
  EXPECT_FALSE(vsock_unavailable_errno(EACCES));
}

TEST(Vsock, ClientRefusesTheListenOnlyCidAny) {
  auto address = parse_address("vsock:any:52");
  ASSERT_TRUE(address);
  auto result = connect_address(*address, ConnectOptions{std::chrono::milliseconds(5000)});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message,
            "cannot connect to vsock:any:52: bad address: vsock:any is for listening; name the "
            "peer's CID");
}

}  // namespace
}  // namespace taskd
