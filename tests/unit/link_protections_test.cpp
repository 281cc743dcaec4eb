// PID 1's link protections (finding 15), written into a stand-in for /proc/sys. (As the real
// machine's init: tests/e2e; in a PID namespace taskd leaves them alone: init_test.cpp.)
#include "daemon/init/link_protections.h"
#include "tests/support/daemon_harness.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

namespace taskd::init {
namespace {

TEST(LinkProtections, WritesEveryProtection) {
  test::TempDir dir;
  ::mkdir(dir.file("fs").c_str(), 0755);
  for (const char* name :
       {"protected_symlinks", "protected_hardlinks", "protected_regular", "protected_fifos"}) {
    test::write_file(dir.file(std::string("fs/") + name), "0\n");
  }
  EXPECT_TRUE(write_sysctls(dir.path(), link_protections()).empty());
  EXPECT_EQ(test::read_file(dir.file("fs/protected_symlinks")), "1\n");
  EXPECT_EQ(test::read_file(dir.file("fs/protected_hardlinks")), "1\n");
  EXPECT_EQ(test::read_file(dir.file("fs/protected_regular")), "2\n");
  EXPECT_EQ(test::read_file(dir.file("fs/protected_fifos")), "2\n");
}

TEST(LinkProtections, ReportsWhatItCannotSet) {
  test::TempDir dir;  // an old kernel without protected_regular and protected_fifos, say
  ::mkdir(dir.file("fs").c_str(), 0755);
  test::write_file(dir.file("fs/protected_symlinks"), "0\n");
  test::write_file(dir.file("fs/protected_hardlinks"), "0\n");
  auto failures = write_sysctls(dir.path(), link_protections());
  EXPECT_EQ(failures, (std::vector<std::string>{"fs.protected_regular: No such file or directory",
                                                "fs.protected_fifos: No such file or directory"}));
  EXPECT_EQ(test::read_file(dir.file("fs/protected_symlinks")), "1\n");
}

TEST(LinkProtections, OnlyTheMachinesOwnInit) {
  EXPECT_TRUE(sets_link_protections(true, true));
  EXPECT_FALSE(sets_link_protections(true, false));  // a PID namespace: the host's kernel
  EXPECT_FALSE(sets_link_protections(false, true));  // --init under another init
}

}  // namespace
}  // namespace taskd::init
