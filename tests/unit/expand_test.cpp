#include "daemon/config/expand.h"

#include <gtest/gtest.h>

namespace taskd {
namespace {

TEST(Expand, ProcessNumAndName) {
  ExpandVars vars{3, "web"};
  EXPECT_EQ(*expand_vars("/tmp/%(program_name)s_%(process_num)02d.log", vars), "/tmp/web_03.log");
  EXPECT_EQ(*expand_vars("--port=80%(process_num)d", vars), "--port=803");
  EXPECT_EQ(*expand_vars("100%%", vars), "100%");
  EXPECT_EQ(*expand_vars("plain", vars), "plain");
}

TEST(Expand, RejectsUnknown) {
  EXPECT_FALSE(expand_vars("%(host)s", {}));
  EXPECT_FALSE(expand_vars("%(process_num", {}));
  EXPECT_FALSE(expand_vars("%(process_num)x", {}));
  EXPECT_FALSE(expand_vars("50%", {}));
}

}  // namespace
}  // namespace taskd
