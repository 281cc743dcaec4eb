// Fuzzes common/line_framer against a plain model: the input picks a line limit and a sequence
// of reads (their sizes, prepare/commit or append), the rest is the byte stream a peer sends.
// Every line handed out, every kNeedMore and kTooLong must match what the model says, and the
// buffer must never hold more than the unconsumed bytes.
#include "common/line_framer.h"
#include "fuzz_check.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstring>
#include <string>

namespace {

using taskd::LineFramer;

// The bytes read but not yet consumed, as the framer should see them.
struct Model {
  std::string pending;
  std::size_t max = 0;

  std::string_view first_line() const {
    auto newline = pending.find('\n');
    return std::string_view(pending).substr(0, newline);
  }
  bool has_newline() const { return pending.find('\n') != std::string::npos; }
};

// Drains the framer like the connection reader does; returns false once the stream is given up.
bool drain(LineFramer& framer, Model& model, bool resync_after_too_long) {
  for (;;) {
    std::string_view line;
    LineFramer::Status status = framer.next(line);
    if (status == LineFramer::Status::kLine) {
      FUZZ_CHECK(model.has_newline(), "a line without a newline in the stream");
      FUZZ_CHECK(line == model.first_line(), "the line is the next bytes up to the newline");
      FUZZ_CHECK(line.size() <= model.max, "a line longer than the limit was accepted");
      model.pending.erase(0, line.size() + 1);
      FUZZ_CHECK(framer.buffered() == model.pending.size(), "buffered() after a line");
      continue;
    }
    if (status == LineFramer::Status::kNeedMore) {
      FUZZ_CHECK(!model.has_newline(), "kNeedMore while a complete line is buffered");
      FUZZ_CHECK(model.pending.size() <= model.max, "kNeedMore beyond the limit");
      return true;
    }
    FUZZ_CHECK(model.first_line().size() > model.max, "kTooLong for a line within the limit");
    if (!resync_after_too_long) return false;
    std::string rest = framer.take_buffered();
    FUZZ_CHECK(rest == model.pending, "take_buffered() returns exactly the unconsumed bytes");
    FUZZ_CHECK(framer.buffered() == 0, "take_buffered() empties the framer");
    model.pending.clear();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  Model model;
  model.max = input.ConsumeIntegralInRange<std::size_t>(1, 256);
  bool resync = input.ConsumeBool();
  LineFramer framer(model.max);
  while (input.remaining_bytes() > 0) {
    std::size_t read_size = input.ConsumeIntegralInRange<std::size_t>(1, 512);
    bool use_append = input.ConsumeBool();
    std::string bytes = input.ConsumeBytesAsString(read_size);
    if (use_append) {
      framer.append(bytes);
    } else {
      // A reader asks for more room than it gets, as a socket read does.
      auto space = framer.prepare(read_size);
      FUZZ_CHECK(space.size() >= read_size, "prepare() gives at least the room asked for");
      std::memcpy(space.data(), bytes.data(), bytes.size());
      framer.commit(bytes.size());
    }
    model.pending += bytes;
    FUZZ_CHECK(framer.buffered() == model.pending.size(), "buffered() after a read");
    if (!drain(framer, model, resync)) break;
  }
  return 0;
}
