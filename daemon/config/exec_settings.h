// [exec] settings: limits on commands run through exec.run (plain data, read from taskd.toml).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace taskd::exec {

struct ExecSettings {
  std::size_t max_concurrent = 256;
  std::chrono::seconds request_key_ttl{600};
  std::size_t max_request_keys = 1024;
  std::uint64_t max_kept_bytes = 64 * 1024 * 1024;

  bool operator==(const ExecSettings&) const = default;
};

}  // namespace taskd::exec
