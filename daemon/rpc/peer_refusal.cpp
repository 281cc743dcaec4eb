#include "daemon/rpc/peer_refusal.h"

#include "proto/error_codes.h"
#include "proto/jsonrpc.h"

#include <boost/json/object.hpp>

#include <sys/socket.h>

namespace taskd::rpc {
namespace json = boost::json;

std::string refusal_line(const Error& why) {
  json::object data{{"code", proto::kForbiddenName}};
  for (const auto& [key, value] : why.data) data[key] = value;
  json::object error{{"code", proto::kForbidden}, {"message", why.message}, {"data", data}};
  json::object reply{{"jsonrpc", "2.0"}, {"id", nullptr}, {"error", std::move(error)}};
  return proto::serialize(reply) + "\n";
}

void refuse_peer(LineConnection::Socket& socket, const Error& why) {
  std::string line = refusal_line(why);
  // MSG_DONTWAIT: a peer that never reads must not stall the accept loop.
  [[maybe_unused]] ssize_t sent =
      ::send(socket.native_handle(), line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  boost::system::error_code ignored;
  socket.shutdown(LineConnection::Socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace taskd::rpc
