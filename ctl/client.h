// taskctl's connection to the daemon: JSON-RPC calls over a blocking LineClient. Connects lazily
// and reconnects on the next call after the daemon went away, so the shell survives restarts.
#pragma once

#include "common/address.h"
#include "common/client_socket.h"

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace taskd::ctl {

struct CallFailure {
  bool transport = false;    // could not reach the daemon, or it went away mid-call
  bool interrupted = false;  // Ctrl-C ended the wait (the daemon may still carry the call out)
  std::string message;
  std::string code;          // error.data.code from the daemon ("NOT_FOUND")
  boost::json::value error;  // the daemon's whole error object (null for transport failures)
};

using CallResult = boost::system::result<boost::json::value, CallFailure>;

class Client {
 public:
  Client(std::string address_text, ConnectOptions options);

  using OnNotification = std::function<void(const boost::json::value& params)>;

  // One request, waiting for its reply; `event` notifications arriving meanwhile (exec output,
  // subscribed events) go to on_event when given, else are skipped, and so are late replies to
  // earlier calls that were interrupted or timed out (matched by id). timeout_ms < 0 waits as
  // long as the daemon takes; on timeout the failure code is TIMEOUT.
  CallResult call(std::string_view method, boost::json::value params = nullptr, int timeout_ms = -1,
                  const OnNotification& on_event = {});
  // Next message from the daemon (events while following a stream). timeout_ms < 0: forever.
  CallResult read_message(int timeout_ms);

  const std::string& address_text() const { return address_text_; }
  const ConnectOptions& options() const { return options_; }
  bool connected() const { return line_.has_value(); }
  void disconnect() { line_.reset(); }
  // File descriptor to poll while following a stream, or -1.
  int fd() const { return line_ ? line_->fd() : -1; }

 private:
  boost::system::result<void, CallFailure> ensure_connected();
  CallFailure transport_failure(std::string message);
  // A failed send: the daemon may have said why before closing (a refused vsock peer gets one
  // FORBIDDEN line), so that line is shown when it is there.
  CallFailure send_failure(std::string message);

  std::string address_text_;
  ConnectOptions options_;
  std::optional<LineClient> line_;
  std::int64_t next_id_ = 1;
};

}  // namespace taskd::ctl
