#include "common/error.h"

namespace taskd {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kParseError: return "PARSE_ERROR";
    case ErrorCode::kInvalidRequest: return "INVALID_REQUEST";
    case ErrorCode::kLineTooLong: return "LINE_TOO_LONG";
    case ErrorCode::kMethodNotFound: return "METHOD_NOT_FOUND";
    case ErrorCode::kInvalidParams: return "INVALID_PARAMS";
    case ErrorCode::kNotFound: return "NOT_FOUND";
    case ErrorCode::kAlreadyExists: return "ALREADY_EXISTS";
    case ErrorCode::kBadState: return "BAD_STATE";
    case ErrorCode::kSpawnFailed: return "SPAWN_FAILED";
    case ErrorCode::kTimeout: return "TIMEOUT";
    case ErrorCode::kSwitchTimeout: return "SWITCH_TIMEOUT";
    case ErrorCode::kPiProcessDead: return "PI_PROCESS_DEAD";
    case ErrorCode::kLimitExceeded: return "LIMIT_EXCEEDED";
    case ErrorCode::kInvalidConfig: return "INVALID_CONFIG";
    case ErrorCode::kPermissionDenied: return "PERMISSION_DENIED";
    case ErrorCode::kIo: return "IO_ERROR";
    case ErrorCode::kCancelled: return "CANCELLED";
    case ErrorCode::kInternal: return "INTERNAL_ERROR";
  }
  return "INTERNAL_ERROR";
}

}  // namespace taskd
