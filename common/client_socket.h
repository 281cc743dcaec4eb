// Blocking client side of a taskd connection, for taskctl, tests and host tools: connect to an
// Address, then send and receive '\n'-framed lines with timeouts. No Asio here on purpose.
#pragma once

#include "common/address.h"
#include "common/error.h"
#include "common/line_framer.h"
#include "common/unique_fd.h"

#include <chrono>
#include <string>
#include <string_view>

namespace taskd {

struct ConnectOptions {
  std::chrono::milliseconds timeout{10000};  // overall, including fc: handshake retries
};

Result<UniqueFd> connect_address(const Address& address, const ConnectOptions& options = {});

class LineClient {
 public:
  explicit LineClient(UniqueFd fd, std::size_t max_line_bytes = 64 * 1024 * 1024);

  static Result<LineClient> connect(const Address& address, const ConnectOptions& options = {});

  // Writes `line` plus '\n' completely.
  Result<void> send_line(std::string_view line);
  // Next line without '\n'. timeout_ms < 0 waits forever; kTimeout when nothing arrived.
  Result<std::string> read_line(int timeout_ms = -1);

  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  LineFramer framer_;
};

// Writes all of `data` to a blocking fd, retrying on EINTR and short writes.
Result<void> write_all(int fd, std::string_view data);

}  // namespace taskd
