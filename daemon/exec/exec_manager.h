// All running execs: ids, the concurrency cap, cancelling the execs of a connection that went
// away, and idempotency keys (a retried exec.run with the same request_key gets the first run's
// result, or waits for it, instead of running twice). Kept results are bounded in count, bytes
// and age; when max_request_keys keyed execs all still run, a new keyed exec is refused.
#pragma once

#include "daemon/config/exec_settings.h"
#include "daemon/exec/exec.h"

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace taskd::exec {

class ExecManager {
 public:
  ExecManager(boost::asio::io_context& io, process::Reaper& reaper, ExecSettings settings);

  struct Started {
    std::shared_ptr<Exec> exec;
    std::uint64_t id = 0;
    bool reused = false;  // an earlier run with the same request_key
  };

  // `owner` identifies the caller (a connection); its execs without a request_key die with it.
  // Errors: kLimitExceeded (too many running, or max_request_keys keyed ones all running),
  // kInvalidParams (request_key reused with other params).
  Result<Started> start(ExecRequest request, Exec::OnOutput on_output, std::uint64_t owner,
                        const std::string& request_key, const std::string& fingerprint);

  // True the first time an owner is seen (the caller then arranges release_owner on close).
  bool adopt_owner(std::uint64_t owner) { return owners_.insert(owner).second; }
  void release_owner(std::uint64_t owner);
  void cancel_all();

  std::size_t running() const { return running_.size(); }
  const ExecSettings& settings() const { return settings_; }

 private:
  struct Kept {
    std::string fingerprint;
    std::shared_ptr<Exec> exec;
    std::uint64_t id;
    std::chrono::steady_clock::time_point expires;
  };
  void forget(std::size_t room);
  static std::uint64_t kept_output(const Kept& kept);

  boost::asio::io_context& io_;
  process::Reaper& reaper_;
  ExecSettings settings_;
  std::uint64_t next_id_ = 1;
  struct Running {
    std::weak_ptr<Exec> exec;
    std::uint64_t owner;
    bool detached;  // has a request_key: survives its connection
  };
  std::unordered_map<std::uint64_t, Running> running_;
  std::unordered_set<std::uint64_t> owners_;
  std::map<std::string, Kept> kept_;
  std::list<std::string> kept_order_;  // oldest first
};

}  // namespace taskd::exec
