// Domain errors as values: every module boundary returns Result<T> instead of throwing.
// ErrorCode names are part of the wire contract (error.data.code); never rename one.
#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskd {

enum class ErrorCode {
  // Protocol-level (JSON-RPC standard codes).
  kParseError,
  kInvalidRequest,
  kLineTooLong,
  kMethodNotFound,
  kInvalidParams,  // a caller-supplied value is wrong; maps to JSON-RPC -32602
  kInternal,
  // Application codes.
  kNotFound,
  kAlreadyExists,
  kBadState,
  kSpawnFailed,
  kTimeout,
  kSwitchTimeout,
  kPiProcessDead,
  kLimitExceeded,
  kInvalidConfig,
  kPermissionDenied,
  kIo,
  kCancelled,
};

// The stable string for error.data.code, e.g. "NOT_FOUND".
std::string_view error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // Extra machine-readable details, rendered as string members of error.data.
  std::vector<std::pair<std::string, std::string>> data;

  Error with(std::string key, std::string value) && {
    data.emplace_back(std::move(key), std::move(value));
    return std::move(*this);
  }
};

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message), {}};
}

template <class T>
using Result = boost::system::result<T, Error>;

}  // namespace taskd
