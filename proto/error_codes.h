// The JSON-RPC error-code table: every ErrorCode has one numeric code and one stable name.
// Standard codes (-32700..-32603) for protocol errors; -32001.. for application errors.
#pragma once

#include "common/error.h"

#include <span>
#include <string_view>

namespace taskd::proto {

inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
// Sent to a peer a listener refuses (a vsock CID outside vsock_allow_cids) in its one error line
// before the close; never a method's error, so it is not an ErrorCode (daemon/rpc/peer_refusal).
inline constexpr int kForbidden = -32016;
inline constexpr std::string_view kForbiddenName = "FORBIDDEN";

struct ErrorCodeInfo {
  ErrorCode code;
  int rpc_code;
  std::string_view meaning;
};

std::span<const ErrorCodeInfo> error_code_table();
int rpc_code(ErrorCode code);

}  // namespace taskd::proto
