// Bounded capture of one output stream: keeps the first and the last half of the budget and
// counts what was dropped between them, so a runaway command cannot grow daemon memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace taskd::exec {

class OutputCapture {
 public:
  explicit OutputCapture(std::uint64_t max_bytes) : max_(max_bytes) {}

  void append(std::string_view chunk);

  std::uint64_t total() const { return total_; }
  std::uint64_t truncated_bytes() const;
  // Head and tail joined, cut so that neither side splits a UTF-8 character when the output is
  // text. `head_bytes` (optional) receives where the gap is.
  std::string bytes(std::size_t* head_bytes = nullptr) const;

 private:
  std::uint64_t max_;
  std::uint64_t total_ = 0;
  std::string head_;
  std::string tail_;  // grows to twice its budget, then drops its front half
};

}  // namespace taskd::exec
