// A JSON-RPC peer: a LineConnection whose lines go to the Dispatcher. Knows its event topics and
// runs cleanup hooks (killing its execs, say) when it closes.
#pragma once

#include "common/line_connection.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace taskd::rpc {

class Dispatcher;

class RpcConnection : public LineConnection {
 public:
  RpcConnection(Socket socket, ConnectionLimits limits, std::uint64_t id, std::string peer,
                Dispatcher& dispatcher);

  std::uint64_t id() const { return id_; }
  const std::string& peer() const { return peer_; }

  // Event topics as a bit set; bit i is proto::topic::kAll[i].
  std::uint32_t topics() const { return topics_; }
  void set_topics(std::uint32_t topics) { topics_ = topics; }

  // Runs when the connection closes, in registration order; each runs once. On a connection
  // that has already closed it runs at once, so nothing registered late outlives its client.
  void on_close(std::function<void()> hook);

  std::shared_ptr<RpcConnection> shared() {
    return std::static_pointer_cast<RpcConnection>(shared_from_this());
  }

 protected:
  boost::asio::awaitable<void> on_line(std::string_view line) override;
  void on_line_too_long() override;
  void on_closed() override;
  void on_idle_close(std::string_view why) override;

 private:
  std::uint64_t id_;
  std::string peer_;
  Dispatcher& dispatcher_;
  std::uint32_t topics_ = 0;
  std::vector<std::function<void()>> close_hooks_;
  bool hooks_ran_ = false;
};

}  // namespace taskd::rpc
