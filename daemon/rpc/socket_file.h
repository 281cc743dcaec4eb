// Claiming a UNIX socket path safely: an flock()ed PATH.lock makes a second taskd on the same
// path refuse to start; a leftover socket file is removed only when nothing answers on it.
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <string>

namespace taskd::rpc {

// kAlreadyExists when another taskd holds the path; kIo for anything else.
Result<UniqueFd> claim_socket_path(const std::string& path);

}  // namespace taskd::rpc
