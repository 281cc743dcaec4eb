#include "daemon/exec/output_capture.h"

#include "common/text_encoding.h"

#include <algorithm>

namespace taskd::exec {

void OutputCapture::append(std::string_view chunk) {
  total_ += chunk.size();
  std::uint64_t head_budget = max_ - max_ / 2;
  if (head_.size() < head_budget) {
    std::size_t take =
        static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), head_budget - head_.size()));
    head_.append(chunk.substr(0, take));
    chunk.remove_prefix(take);
  }
  std::uint64_t tail_budget = max_ / 2;
  if (chunk.empty() || tail_budget == 0) return;
  if (chunk.size() >= tail_budget) {
    tail_.assign(chunk.substr(chunk.size() - static_cast<std::size_t>(tail_budget)));
    return;
  }
  tail_.append(chunk);
  if (tail_.size() > 2 * tail_budget)
    tail_.erase(0, tail_.size() - static_cast<std::size_t>(tail_budget));
}

std::uint64_t OutputCapture::truncated_bytes() const { return total_ > max_ ? total_ - max_ : 0; }

std::string OutputCapture::bytes(std::size_t* head_bytes) const {
  std::string_view tail = tail_;
  std::uint64_t tail_budget = max_ / 2;
  if (tail.size() > tail_budget)
    tail.remove_prefix(tail.size() - static_cast<std::size_t>(tail_budget));
  std::string_view head = head_;
  if (total_ > max_) {
    // There is a gap: do not leave half a character on either side of it.
    head = head.substr(0, utf8_complete_prefix(head));
    tail.remove_prefix(utf8_continuation_prefix(tail));
  } else {
    // Everything fits: head and tail are contiguous (tail holds what followed the head).
    tail = std::string_view(tail_).substr(tail_.size() -
                                          static_cast<std::size_t>(total_ - head_.size()));
  }
  if (head_bytes) *head_bytes = head.size();
  std::string out;
  out.reserve(head.size() + tail.size());
  out.append(head).append(tail);
  return out;
}

}  // namespace taskd::exec
