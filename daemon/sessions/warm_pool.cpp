#include "daemon/sessions/warm_pool.h"

namespace taskd::sessions {

std::optional<std::string> WarmPool::choose_victim(std::span<const WarmCandidate> candidates) {
  const WarmCandidate* victim = nullptr;
  for (const WarmCandidate& candidate : candidates) {
    if (!victim || candidate.last_activity_ms < victim->last_activity_ms) victim = &candidate;
  }
  if (!victim) return std::nullopt;
  return victim->id;
}

}  // namespace taskd::sessions
