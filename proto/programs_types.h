// Params of the programs.* methods and daemon.reload (docs/protocol.md). Results are encoded by
// daemon/api/programs_methods.cpp, next to the domain types they come from.
#pragma once

#include "common/error.h"

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace taskd::proto {

struct NamesParams {
  std::vector<std::string> names;  // name, group:name, group:*, all
  bool wait = true;
  std::optional<std::int64_t> timeout_ms;
};

struct StatusParams {
  std::vector<std::string> names;  // empty: every process
};

struct SignalParams {
  std::vector<std::string> names;
  int signal = 0;
};

struct TailParams {
  std::string name;
  std::string stream = "stdout";
  std::optional<std::int64_t> offset;  // absent: the last `length` bytes; negative: from the end
  std::int64_t length = 1600;
};

struct InputParams {
  std::string name;  // one instance
  std::string data;  // written to the process's stdin pipe as is (UTF-8 text)
  bool eof = false;  // close the pipe after writing: the process reads end-of-file
};

struct ReloadParams {
  bool dry_run = false;
};

inline constexpr std::int64_t kMaxTailLength = 1024 * 1024;

Result<NamesParams> decode_names_params(const boost::json::value& params, bool with_wait);
Result<StatusParams> decode_status_params(const boost::json::value& params);
Result<SignalParams> decode_signal_params(const boost::json::value& params);
Result<TailParams> decode_tail_params(const boost::json::value& params);
Result<InputParams> decode_input_params(const boost::json::value& params);
Result<ReloadParams> decode_reload_params(const boost::json::value& params);

}  // namespace taskd::proto
