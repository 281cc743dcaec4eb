#include "daemon/exec/exec_manager.h"

#include "common/log.h"

namespace taskd::exec {

ExecManager::ExecManager(boost::asio::io_context& io, supervisor::Reaper& reaper,
                         ExecSettings settings)
    : io_(io), reaper_(reaper), settings_(settings) {}

void ExecManager::forget_expired() {
  auto now = std::chrono::steady_clock::now();
  std::uint64_t bytes = 0;
  for (const auto& [key, kept] : kept_) {
    bytes += kept.exec->stdout_capture().total() + kept.exec->stderr_capture().total();
  }
  while (!kept_order_.empty()) {
    auto found = kept_.find(kept_order_.front());
    bool drop = found == kept_.end() || found->second.expires < now ||
                kept_.size() > settings_.max_request_keys || bytes > settings_.max_kept_bytes;
    if (!drop) break;
    if (found != kept_.end()) {
      if (!found->second.exec->finished()) break;  // a running one is never forgotten
      bytes -= std::min(bytes, found->second.exec->stdout_capture().total() +
                                   found->second.exec->stderr_capture().total());
      kept_.erase(found);
    }
    kept_order_.pop_front();
  }
}

Result<ExecManager::Started> ExecManager::start(ExecRequest request, Exec::OnOutput on_output,
                                                std::uint64_t owner, const std::string& request_key,
                                                const std::string& fingerprint) {
  forget_expired();
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
  std::uint64_t id = next_id_++;
  auto exec = Exec::start(io_, reaper_, std::move(request), std::move(on_output));
  running_[id] = Running{exec, owner, !request_key.empty()};
  exec->on_finish([this, id] { running_.erase(id); });
  if (!request_key.empty()) {
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
