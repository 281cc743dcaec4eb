#include "proto/error_codes.h"

#include <array>

namespace taskd::proto {
namespace {

constexpr std::array kTable = {
    ErrorCodeInfo{ErrorCode::kParseError, kParseError, "the line is not valid JSON"},
    ErrorCodeInfo{ErrorCode::kInvalidRequest, kInvalidRequest, "not a JSON-RPC 2.0 request"},
    ErrorCodeInfo{ErrorCode::kLineTooLong, kInvalidRequest,
                  "line over the limit; connection closes"},
    ErrorCodeInfo{ErrorCode::kMethodNotFound, kMethodNotFound, "no such method"},
    ErrorCodeInfo{ErrorCode::kInvalidParams, kInvalidParams,
                  "a param is missing, mistyped or invalid"},
    ErrorCodeInfo{ErrorCode::kInternal, kInternalError, "bug or unexpected failure in taskd"},
    ErrorCodeInfo{ErrorCode::kNotFound, -32001, "no program, task, session or exec by that name"},
    ErrorCodeInfo{ErrorCode::kAlreadyExists, -32002, "an object with that id exists"},
    ErrorCodeInfo{ErrorCode::kBadState, -32003, "not allowed in the object's current state"},
    ErrorCodeInfo{ErrorCode::kSpawnFailed, -32004, "a process could not be started"},
    ErrorCodeInfo{ErrorCode::kTimeout, -32005, "a wait ran out of time"},
    ErrorCodeInfo{ErrorCode::kSwitchTimeout, -32006, "a session switch did not reach ready"},
    ErrorCodeInfo{ErrorCode::kPiProcessDead, -32007, "the agent process of a session died"},
    ErrorCodeInfo{ErrorCode::kLimitExceeded, -32010, "a configured limit was reached"},
    ErrorCodeInfo{ErrorCode::kInvalidConfig, -32011, "the configuration file is invalid"},
    ErrorCodeInfo{ErrorCode::kPermissionDenied, -32013, "the operation is not permitted"},
    ErrorCodeInfo{ErrorCode::kIo, -32014, "a file or socket operation failed"},
    ErrorCodeInfo{ErrorCode::kCancelled, -32015, "the operation was cancelled"},
};

}  // namespace

std::span<const ErrorCodeInfo> error_code_table() { return kTable; }

int rpc_code(ErrorCode code) {
  for (const auto& info : kTable) {
    if (info.code == code) return info.rpc_code;
  }
  return kInternalError;
}

}  // namespace taskd::proto
