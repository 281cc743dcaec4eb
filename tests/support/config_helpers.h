// Shared helpers for the configuration unit tests: parse a TOML text as if it came from
// /etc/t/taskd.toml, and expect an error message that contains a given part.
#pragma once

#include "daemon/config/config.h"

#include <gtest/gtest.h>

#include <string>

namespace taskd::test {

inline Result<Config> parse(const std::string& text) {
  return parse_config(text, "/etc/t/taskd.toml");
}

inline void expect_error(const std::string& text, const std::string& expected) {
  auto config = parse(text);
  ASSERT_FALSE(config) << text;
  EXPECT_EQ(config.error().code, ErrorCode::kInvalidConfig);
  EXPECT_NE(config.error().message.find(expected), std::string::npos)
      << "got: " << config.error().message << "\nwanted: " << expected;
}

}  // namespace taskd::test
