// Gathers the replies to one line (one request or a batch) and sends them as one line. Every
// reply is counted against its connection's queue and the daemon-wide budget as it arrives (an
// async reply in place of what was reserved for it); one that does not fit is answered with
// LIMIT_EXCEEDED instead. Once the connection holds half its queue, the rest of a batch is
// refused without running.
#pragma once

#include "daemon/rpc/dispatcher.h"

#include <boost/json/object.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace taskd::proto {
struct Request;
}

namespace taskd::rpc {

class RpcConnection;

class ReplyCollector {
 public:
  ReplyCollector(std::shared_ptr<RpcConnection> connection, bool is_batch);
  ~ReplyCollector();  // releases whatever is still held
  ReplyCollector(const ReplyCollector&) = delete;
  ReplyCollector& operator=(const ReplyCollector&) = delete;

  // Whether the next member of a batch may run at all.
  bool has_room() const;
  // Holds `bytes` for the next reply (taken over from the caller when `already_reserved`);
  // false when they do not fit.
  bool hold_for_next(std::size_t bytes, bool already_reserved = false);

  // The reply to `request` (none for a notification), in place of what was held for it.
  void add(const proto::Request& request, MethodResult result);
  // An error reply made while parsing the line.
  void add_error(boost::json::object error);
  // Answers `request` with LIMIT_EXCEEDED without running it.
  void refuse(const proto::Request& request, std::string why);

  // Sends the collected replies (nothing when all were notifications).
  void finish();

 private:
  void append(const std::string& text);

  std::shared_ptr<RpcConnection> connection_;
  bool is_batch_;
  std::string body_;
  std::size_t count_ = 0;
  std::size_t held_ = 0;     // reserved on the connection for the replies in body_
  std::size_t pending_ = 0;  // reserved for the member now running
};

}  // namespace taskd::rpc
