// Telling a peer that a listener's filter refused (a vsock CID outside vsock_allow_cids) why,
// in one JSON-RPC error line, before closing: otherwise it sees only a broken pipe or an EOF.
#pragma once

#include "common/error.h"
#include "common/line_connection.h"

#include <string>

namespace taskd::rpc {

// The error line (with its '\n'): id null, code -32016 / data.code FORBIDDEN, the reason as
// message, and `why`'s data fields (`cid`).
std::string refusal_line(const Error& why);

// Sends refusal_line(why) without ever blocking (the socket is fresh and the line small; if it
// does not fit, the peer gets only the close), then shuts the socket down and closes it.
void refuse_peer(LineConnection::Socket& socket, const Error& why);

}  // namespace taskd::rpc
