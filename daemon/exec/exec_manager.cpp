#include "daemon/exec/exec_manager.h"

#include "common/log.h"

#include <algorithm>

namespace taskd::exec {

ExecManager::ExecManager(boost::asio::io_context& io, process::Reaper& reaper,
                         ExecSettings settings)
    : io_(io), reaper_(reaper), settings_(settings) {}

std::uint64_t ExecManager::kept_output(const Kept& kept) {
  return kept.exec->stdout_capture().total() + kept.exec->stderr_capture().total();
}

// Drops expired results wherever they are, then the oldest finished ones while more than
// `max_request_keys - room` results or max_kept_bytes are kept. A running exec is never
// dropped (a retry must find it), but it does not shield the finished ones behind it.
void ExecManager::forget(std::size_t room) {
  auto now = std::chrono::steady_clock::now();
  std::uint64_t bytes = 0;
  for (const auto& [key, kept] : kept_) bytes += kept_output(kept);
  auto over = [&](const Kept& kept) {
    return kept.expires < now || kept_.size() + room > settings_.max_request_keys ||
           bytes > settings_.max_kept_bytes;
  };
  for (auto key = kept_order_.begin(); key != kept_order_.end();) {
    auto found = kept_.find(*key);
    if (found == kept_.end()) {
      key = kept_order_.erase(key);
      continue;
    }
    if (!found->second.exec->finished() || !over(found->second)) {
      ++key;
      continue;
    }
    bytes -= std::min(bytes, kept_output(found->second));
    kept_.erase(found);
    key = kept_order_.erase(key);
  }
}

Result<ExecManager::Started> ExecManager::start(ExecRequest request, Exec::OnOutput on_output,
                                                std::uint64_t owner, const std::string& request_key,
                                                const std::string& fingerprint) {
  forget(0);
  if (!request_key.empty()) {
    if (auto found = kept_.find(request_key); found != kept_.end()) {
      if (found->second.fingerprint != fingerprint) {
        return make_error(ErrorCode::kInvalidParams,
                          "request_key '" + request_key + "' was used for a different command")
            .with("field", "request_key");
      }
      return Started{found->second.exec, found->second.id, true};
    }
  }
  if (running_.size() >= settings_.max_concurrent) {
    return make_error(ErrorCode::kLimitExceeded, "too many execs running (max_concurrent = " +
                                                     std::to_string(settings_.max_concurrent) + ")")
        .with("limit", std::to_string(settings_.max_concurrent));
  }
  bool keep = !request_key.empty() && settings_.max_request_keys > 0;
  if (keep) {
    forget(1);
    if (kept_.size() >= settings_.max_request_keys) {
      return make_error(ErrorCode::kLimitExceeded,
                        "too many request keys: all " + std::to_string(kept_.size()) +
                            " kept execs still run (max_request_keys = " +
                            std::to_string(settings_.max_request_keys) + ")")
          .with("limit", std::to_string(settings_.max_request_keys));
    }
  }
  std::uint64_t id = next_id_++;
  auto exec = Exec::start(io_, reaper_, std::move(request), std::move(on_output));
  running_[id] = Running{exec, owner, !request_key.empty()};
  exec->on_finish([this, id] { running_.erase(id); });
  if (keep) {
    kept_[request_key] =
        Kept{fingerprint, exec, id, std::chrono::steady_clock::now() + settings_.request_key_ttl};
    kept_order_.push_back(request_key);
  }
  return Started{exec, id, false};
}

void ExecManager::release_owner(std::uint64_t owner) {
  owners_.erase(owner);
  std::vector<std::shared_ptr<Exec>> doomed;
  for (auto& [id, running] : running_) {
    if (running.owner != owner || running.detached) continue;
    if (auto exec = running.exec.lock()) doomed.push_back(exec);
  }
  if (!doomed.empty()) {
    log(LogChannel::kExec).info("client went away: cancelling {} exec(s)", doomed.size());
  }
  for (auto& exec : doomed) exec->cancel();
}

void ExecManager::cancel_all() {
  std::vector<std::shared_ptr<Exec>> all;
  for (auto& [id, running] : running_) {
    if (auto exec = running.exec.lock()) all.push_back(exec);
  }
  for (auto& exec : all) exec->cancel();
}

}  // namespace taskd::exec
