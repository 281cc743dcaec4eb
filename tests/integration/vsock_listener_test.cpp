// The real taskd's vsock listener on this machine's real AF_VSOCK. Nothing can connect to it
// here (no loopback transport; CID 2 is this machine's own host, never to be dialled from a
// test), so these tests prove the bind and its errors; traffic over vsock is tests/e2e's job.
// Port 52 itself is exercised in the nested guest: on a machine that is itself a guest, 52 may
// belong to its host's agent, so here a free high port is used.
#include "common/unique_fd.h"
#include "common/vsock.h"
#include "tests/support/daemon_harness.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace taskd::test {
namespace {

// 0 when vsock works here, else the errno of socket(AF_VSOCK).
int vsock_errno() {
  UniqueFd fd(::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return fd ? 0 : errno;
}

// Binds (and with `listen`, listens on) vsock:any:port; errno on failure.
int bind_vsock(UniqueFd& fd, std::uint32_t port, bool listen = false) {
  fd.reset(::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_vm address = make_vsock_sockaddr(kVsockCidAny, port);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return errno;
  if (listen && ::listen(fd.get(), 1) != 0) return errno;
  return 0;
}

std::uint32_t free_vsock_port() {
  std::mt19937 random(std::random_device{}());
  for (int i = 0; i < 50; ++i) {
    auto port = static_cast<std::uint32_t>(20000 + random() % 40000);
    UniqueFd probe;
    if (bind_vsock(probe, port) == 0) return port;
  }
  return 0;
}

#define SKIP_WITHOUT_VSOCK()                                                            \
  if (int err = vsock_errno(); err != 0) {                                              \
    GTEST_SKIP() << "AF_VSOCK is not available on this kernel: " << std::strerror(err); \
  }

TEST(VsockListener, ListensBesideUnixAndReleasesThePort) {
  SKIP_WITHOUT_VSOCK();
  std::uint32_t port = free_vsock_port();
  ASSERT_NE(port, 0u);
  std::string p = std::to_string(port);
  Daemon daemon({.config = "[daemon]\nvsock_port = " + p + "\nvsock_allow_cids = [2, 7]\n"});
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  EXPECT_NE(daemon.log().find("listening address=vsock:any:" + p + " allow_cids=[2, 7]"),
            std::string::npos)
      << daemon.log();
  UniqueFd rival;
  EXPECT_EQ(bind_vsock(rival, port), EADDRINUSE) << "taskd does not hold vsock port " << p;
  rival.reset();
  EXPECT_EQ(daemon.taskctl({"health"}).exit_code, 0);  // UNIX still serves
  EXPECT_EQ(daemon.stop(), 0);
  EXPECT_EQ(bind_vsock(rival, port), 0) << "the port was not released";
}

TEST(VsockListener, PortInUseFailsTheStartLikeAUnixBindError) {
  SKIP_WITHOUT_VSOCK();
  std::uint32_t port = free_vsock_port();
  ASSERT_NE(port, 0u);
  UniqueFd holder;
  ASSERT_EQ(bind_vsock(holder, port, true), 0);
  Daemon daemon({.config = "[daemon]\nvsock_port = " + std::to_string(port) + "\n"});
  EXPECT_FALSE(daemon.start());
  EXPECT_NE(daemon.startup_error().find("exit 1:"), std::string::npos) << daemon.startup_error();
  EXPECT_NE(daemon.startup_error().find("failed to listen on vsock:any:" + std::to_string(port)),
            std::string::npos)
      << daemon.startup_error();
  EXPECT_FALSE(path_exists(daemon.socket_path()));  // the UNIX socket was cleaned up
}

TEST(VsockListener, OffUnlessConfiguredOutsideInit) {
  Daemon daemon;
  ASSERT_TRUE(daemon.start()) << daemon.startup_error();
  EXPECT_EQ(daemon.log().find("vsock"), std::string::npos) << daemon.log();
}

}  // namespace
}  // namespace taskd::test
