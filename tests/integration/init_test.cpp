// The real taskd as PID 1, in a fresh PID and mount namespace: its mounts stay in that namespace,
// kill(-1) reaches only its processes, and reboot(2) ends only the namespace, whose init the
// parent then sees killed by SIGINT (power off, halt) or SIGHUP (restart), see reboot(2). Needs
// root (CAP_SYS_ADMIN); skipped otherwise. The real machine case is tests/e2e.
//
// The test's files live under /var/tmp: taskd mounts a tmpfs over /tmp and /run in its namespace.
#include "common/unique_fd.h"
#include "tests/support/daemon_harness.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

namespace taskd::test {
namespace {
using namespace std::chrono_literals;

struct ChildArgs {
  std::vector<std::string> argv;
  std::string stderr_path;
  int ready_fd;
};

int namespace_init(void* raw) {
  auto* args = static_cast<ChildArgs*>(raw);
  // Keep our mounts out of the test's namespace whatever the propagation of / is.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(120);
  int err = ::open(args->stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  ::dup2(err, 1);
  ::dup2(err, 2);
  ::fcntl(args->ready_fd, F_SETFD, 0);
  std::vector<char*> argv;
  for (auto& arg : args->argv) argv.push_back(arg.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

class Pid1Taskd {
 public:
  explicit Pid1Taskd(const std::string& config) {
    std::string pattern = "/var/tmp/taskd-init-XXXXXX";
    dir_ = ::mkdtemp(pattern.data()) ? pattern : "";
    write_file(dir_ + "/taskd.toml", config);
  }
  ~Pid1Taskd() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (::testing::Test::HasFailure())
      std::fprintf(stderr, "---- stderr ----\n%s\n", err().c_str());
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Starts taskd as PID 1 of new namespaces; errno when that is not permitted here.
  int start() {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) return errno;
    args_ = {{taskd_binary(), "-c", dir_ + "/taskd.toml", "--ready-fd", std::to_string(ready[1])},
             dir_ + "/stderr.log",
             ready[1]};
    static char stack[256 * 1024];
    pid_ =
        ::clone(namespace_init, stack + sizeof stack, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, &args_);
    int clone_errno = errno;
    ::close(ready[1]);
    if (pid_ < 0) {
      ::close(ready[0]);
      return clone_errno;
    }
    pollfd pfd{ready[0], POLLIN, 0};
    char byte;
    ready_ = ::poll(&pfd, 1, 10000) == 1 && ::read(ready[0], &byte, 1) == 1;
    ::close(ready[0]);
    return 0;
  }

  // Waits for the namespace's init to end; its wait status.
  int wait(std::chrono::milliseconds timeout = 15s) {
    int status = 0;
    bool done = wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
    if (!done) return -1;
    pid_ = -1;
    return status;
  }

  bool ready() const { return ready_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string err() const { return read_file(dir_ + "/stderr.log"); }

 private:
  std::string dir_;
  ChildArgs args_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

std::string config_in(const std::string& dir) {
  // vsock_port = 0: as init taskd would take vsock port 52 of this (guest) machine otherwise.
  return "[daemon]\nsocket = \"" + dir + "/t.sock\"\ndata_dir = \"" + dir +
         "/data\"\nlog_level = \"debug\"\nvsock_port = 0\n";
}

bool has_mount(const std::string& mountinfo, const std::string& target, const std::string& type) {
  std::istringstream lines(mountinfo);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point;
    fields >> id >> parent >> device >> root >> mount_point;
    if (mount_point == target && line.find(" - " + type + " ") != std::string::npos) return true;
  }
  return false;
}

// Creates a process inside taskd's PID namespace whose parent exits at once, so that it is
// reparented to taskd; returns its pid as this test sees it.
pid_t make_orphan_in(pid_t init_pid) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return -1;
  pid_t middle = ::fork();
  if (middle == 0) {
    int ns = ::open(("/proc/" + std::to_string(init_pid) + "/ns/pid").c_str(), O_RDONLY);
    if (ns < 0 || ::setns(ns, CLONE_NEWPID) != 0) ::_exit(1);
    if (::fork() == 0) {     // in the namespace; its parent is outside
      if (::fork() == 0) {   // the orphan-to-be
        char self[32] = {};  // /proc is still ours: /proc/self is our pid as the test sees it
        ssize_t n = ::readlink("/proc/self", self, sizeof self - 1);
        (void)!::write(pipe_fds[1], self, n > 0 ? static_cast<std::size_t>(n) : 0);
        ::close(pipe_fds[1]);
        ::usleep(300 * 1000);
        ::_exit(0);
      }
      ::_exit(0);  // parent in the namespace exits: its child goes to the namespace's init
    }
    ::wait(nullptr);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  ::waitpid(middle, nullptr, 0);
  char text[32] = {};
  ssize_t n = ::read(pipe_fds[0], text, sizeof text - 1);
  ::close(pipe_fds[0]);
  return n > 0 ? static_cast<pid_t>(std::atol(text)) : -1;
}

std::string ppid_of(pid_t pid) {
  std::istringstream status(read_file("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("PPid:")) return line.substr(line.find_first_not_of(" \t", 5));
  }
  return "";
}

#define START_OR_SKIP(taskd)                                                          \
  if (int err = (taskd).start(); err != 0) {                                          \
    GTEST_SKIP() << "cannot create PID and mount namespaces: " << std::strerror(err); \
  }

TEST(Init, MountsInItsNamespaceReapsOrphansAndPowersOffOnSigterm) {
  std::string before = read_file("/proc/self/mountinfo");
  Pid1Taskd taskd("");
  write_file(taskd.dir() + "/taskd.toml", config_in(taskd.dir()));
  START_OR_SKIP(taskd);
  ASSERT_TRUE(taskd.ready()) << taskd.err();
  EXPECT_NE(taskd.err().find("init: init mode pid=1"), std::string::npos);

  std::string theirs = read_file("/proc/" + std::to_string(taskd.pid()) + "/mountinfo");
  EXPECT_TRUE(has_mount(theirs, "/tmp", "tmpfs")) << theirs;
  EXPECT_TRUE(has_mount(theirs, "/run", "tmpfs")) << theirs;
  EXPECT_EQ(has_mount(read_file("/proc/self/mountinfo"), "/tmp", "tmpfs"),
            has_mount(before, "/tmp", "tmpfs"))
      << "a mount leaked out of the namespace";

  pid_t orphan = make_orphan_in(taskd.pid());
  ASSERT_GT(orphan, 0);
  EXPECT_EQ(ppid_of(orphan), std::to_string(taskd.pid())) << "not reparented to taskd";
  EXPECT_TRUE(wait_until([&] { return !path_exists("/proc/" + std::to_string(orphan)); }, 5s))
      << "orphan " << orphan
      << " was not reaped: " << read_file("/proc/" + std::to_string(orphan) + "/stat");

  ::kill(taskd.pid(), SIGTERM);
  int status = taskd.wait();
  ASSERT_NE(status, -1) << "taskd as PID 1 did not end after SIGTERM";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << "status " << status;
  EXPECT_NE(taskd.err().find("init: power off now"), std::string::npos) << taskd.err();
}

// Finding 15: the machine's own init sets fs.protected_* (unit test: link_protections_test); in a
// PID namespace they are the host kernel's, and taskd leaves them alone.
TEST(Init, LeavesTheHostsLinkProtectionsAloneInAPidNamespace) {
  auto values = [] {
    std::string all;
    for (const char* name : {"symlinks", "hardlinks", "regular", "fifos"})
      all += read_file(std::string("/proc/sys/fs/protected_") + name);
    return all;
  };
  std::string before = values();
  Pid1Taskd taskd("");
  write_file(taskd.dir() + "/taskd.toml", config_in(taskd.dir()));
  START_OR_SKIP(taskd);
  ASSERT_TRUE(taskd.ready()) << taskd.err();
  EXPECT_NE(taskd.err().find("init: in a PID namespace: leaving fs.protected_* to the host"),
            std::string::npos)
      << taskd.err();
  EXPECT_EQ(values(), before);
  ::kill(taskd.pid(), SIGTERM);
  EXPECT_NE(taskd.wait(), -1);
}

TEST(Init, SigUsr1Halts) {
  Pid1Taskd taskd("");
  write_file(taskd.dir() + "/taskd.toml", config_in(taskd.dir()));
  START_OR_SKIP(taskd);
  ASSERT_TRUE(taskd.ready()) << taskd.err();
  ::kill(taskd.pid(), SIGUSR1);
  int status = taskd.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << "status " << status;
  EXPECT_NE(taskd.err().find("init: halt now"), std::string::npos) << taskd.err();
}

TEST(Init, ABadConfigPowersOffInsteadOfExiting) {
  Pid1Taskd taskd("[daemon]\nvsock_port = \"fifty-two\"\n");
  START_OR_SKIP(taskd);
  EXPECT_FALSE(taskd.ready());
  int status = taskd.wait();
  ASSERT_NE(status, -1);
  EXPECT_FALSE(WIFEXITED(status)) << "PID 1 exited with " << WEXITSTATUS(status);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << "status " << status;
  EXPECT_NE(taskd.err().find("daemon.vsock_port: must be an integer"), std::string::npos);
  EXPECT_NE(taskd.err().find("as PID 1 it powers off instead"), std::string::npos) << taskd.err();
}

}  // namespace
}  // namespace taskd::test
