// Claiming a UNIX socket path safely: an flock()ed PATH.lock makes a second taskd on the same
// path refuse to start; a leftover socket file is removed only when nothing answers on it; a
// lock file or socket owned by another user is never used (someone else could hold the lock
// forever or be the one answering: think of /tmp/taskd-UID.sock). The socket file is created
// with its final mode by binding under socket_umask(mode): no chmod by path afterwards, which
// would follow a symlink swapped in after the bind (fchmod on a socket fd does not reach the
// file on Linux).
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <sys/types.h>

#include <string>

namespace taskd::rpc {

// kAlreadyExists when another taskd holds the path; kIo for anything else.
Result<UniqueFd> claim_socket_path(const std::string& path);

// The umask under which bind(2) creates the socket file with exactly `mode` (0777 at most).
mode_t socket_umask(unsigned mode);

}  // namespace taskd::rpc
