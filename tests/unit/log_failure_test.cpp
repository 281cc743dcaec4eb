// A coroutine nobody awaits (reload, shutdown, a session switch) that throws: the exception is
// logged with the coroutine's name and the failure action runs, instead of vanishing.
#include "common/log_failure.h"

#include "tests/support/process.h"

#include <gtest/gtest.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <stdexcept>

namespace taskd {
namespace {
namespace asio = boost::asio;

asio::awaitable<void> fails() {
  throw std::runtime_error("boom");
  co_return;
}

asio::awaitable<int> succeeds() { co_return 7; }

TEST(LogFailure, LogsTheExceptionAndRunsTheFailureAction) {
  test::TempDir dir;
  ASSERT_TRUE(setup_logging({dir.file("taskd.log"), "info", false}));
  asio::io_context io;
  int failures = 0;
  asio::co_spawn(io, fails(), LogFailure(LogChannel::kMain, "shutdown", [&] { ++failures; }));
  asio::co_spawn(io, succeeds(), LogFailure(LogChannel::kMain, "reload", [&] { ++failures; }));
  io.run();
  EXPECT_EQ(failures, 1);
  std::string log = test::read_file(dir.file("taskd.log"));
  EXPECT_NE(log.find("[error] shutdown failed: boom"), std::string::npos) << log;
  EXPECT_EQ(log.find("reload"), std::string::npos) << log;
  ASSERT_TRUE(setup_logging({"", "info", true}));
}

}  // namespace
}  // namespace taskd
