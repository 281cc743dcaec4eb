// attach NAME: the process's live output (stdout and stderr, followed like tail -f) and, when it
// was configured with stdin = "pipe", every line typed (or read from a non-terminal stdin) goes
// to its stdin through programs.input. Ctrl-C or end of input (Ctrl-D) detaches; the process
// keeps running. supervisorctl calls this `fg`, which is accepted as an alias.
#include "common/text_encoding.h"
#include "ctl/commands.h"
#include "ctl/completion.h"
#include "ctl/exit_codes.h"
#include "ctl/interrupt.h"
#include "ctl/render.h"
#include "proto/methods.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace taskd::ctl {
namespace json = boost::json;
namespace {

constexpr int kPollMs = 200;
constexpr std::int64_t kChunk = 64 * 1024;

struct Stream {
  const char* name;
  std::FILE* to;
  std::int64_t offset = 0;
  bool active = true;  // false when the stream is not logged to a file
};

class Attachment {
 public:
  Attachment(Invocation& invocation, std::string name, bool takes_input)
      : invocation_(invocation), name_(std::move(name)), takes_input_(takes_input) {}

  // Shows the last `backlog` bytes of stdout and notes where stderr ends.
  void start(std::int64_t backlog) {
    read_stream(stdout_, backlog, true);
    read_stream(stderr_, 0, true);
  }

  // Prints what was appended to both streams since the last look.
  void follow() {
    read_stream(stdout_, kChunk, false);
    read_stream(stderr_, kChunk, false);
  }

  // Sends `data` until the pipe took all of it; a full pipe is retried until Ctrl-C.
  void send(std::string_view data) {
    while (takes_input_ && !data.empty() && !interrupted()) {
      auto result = invocation_.client.call(proto::method::kProgramsInput,
                                            json::object{{"name", name_}, {"data", data}});
      if (!result) {
        std::string why = result.error().message;
        if (why.starts_with(name_ + ": ")) why.erase(0, name_.size() + 2);
        if (!result.error().interrupted) {
          std::fprintf(invocation_.err, "%s: input dropped (%s)\n", name_.c_str(), why.c_str());
        }
        return;
      }
      auto written = static_cast<std::size_t>(int_field(*result, "written"));
      data.remove_prefix(std::min(written, data.size()));
      if (written == 0) sleep_unless_interrupted(50);  // the process is not reading yet
    }
  }

 private:
  void read_stream(Stream& stream, std::int64_t length, bool first) {
    if (!stream.active) return;
    json::object params{{"name", name_}, {"stream", stream.name}, {"length", length}};
    if (!first) params["offset"] = stream.offset;
    auto slice = invocation_.client.call(proto::method::kProgramsTail, std::move(params));
    if (!slice) {
      if (slice.error().code == "BAD_STATE") stream.active = false;  // discarded or merged
      return;
    }
    stream.offset = int_field(*slice, "next_offset");
    if (invocation_.json) {  // the slices themselves, one per line, as tail -f --json
      if (int_field(*slice, "offset") == stream.offset) return;
      std::fprintf(invocation_.out, "%s\n", to_json_line(*slice).c_str());
      std::fflush(invocation_.out);
      return;
    }
    std::string data = string_field(*slice, "data");
    if (string_field(*slice, "encoding") == "base64") data = base64_decode(data).value_or("");
    std::fwrite(data.data(), 1, data.size(), stream.to);
    std::fflush(stream.to);
  }

  Invocation& invocation_;
  std::string name_;
  bool takes_input_;
  Stream stdout_{"stdout", invocation_.out};
  Stream stderr_{"stderr", invocation_.err};
};

// Reads what is available on fd 0; complete lines go out as they end, the rest at end of input.
// Returns false at end of input.
bool forward_input(Attachment& attachment, std::string& pending) {
  char buffer[4096];
  ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) {
    attachment.send(pending);
    return false;
  }
  pending.append(buffer, static_cast<std::size_t>(n));
  auto end = pending.rfind('\n');
  if (end == std::string::npos) return true;
  attachment.send(std::string_view(pending).substr(0, end + 1));
  pending.erase(0, end + 1);
  return true;
}

// Whether the process takes input (an empty write is a harmless probe): why_not stays empty when
// it does. Failures other than "no input possible" are returned (NOT_FOUND among them).
std::optional<CallFailure> probe_input(Invocation& invocation, const std::string& name,
                                       std::string& why_not) {
  auto probe = invocation.client.call(proto::method::kProgramsInput,
                                      json::object{{"name", name}, {"data", ""}});
  if (probe) return std::nullopt;
  if (probe.error().code == "METHOD_NOT_FOUND") {
    why_not = "this taskd does not take input";
  } else if (probe.error().code == "BAD_STATE") {
    why_not = probe.error().message;
  } else {
    return probe.error();
  }
  return std::nullopt;
}

int run_attach(Invocation& invocation, const Args& args) {
  if (args.size() != 1) return usage_error(invocation, *find_command("attach"), "name one process");
  const std::string& name = args[0];
  InterruptScope scope;
  std::string why_not;
  if (auto failure = probe_input(invocation, name, why_not)) {
    if (failure->interrupted) return kExitOk;
    if (failure->code != "NOT_FOUND") return report_failure(invocation, *failure);
    std::fprintf(invocation.out, "%s: ERROR (no such process)\n", name.c_str());
    return kExitNoSuchName;
  }
  if (why_not.empty()) {
    std::fprintf(invocation.err,
                 "==> attached to %s: typed lines go to its stdin; Ctrl-C or "
                 "Ctrl-D detaches <==\n",
                 name.c_str());
  } else {
    if (why_not.starts_with(name + ": ")) why_not.erase(0, name.size() + 2);
    std::fprintf(invocation.err, "==> attached to %s, output only (%s); Ctrl-C detaches <==\n",
                 name.c_str(), why_not.c_str());
  }
  Attachment attachment(invocation, name, why_not.empty());
  attachment.start(1600);
  std::string pending;
  bool input_open = true;
  while (!interrupted() && input_open) {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {interrupt_fd(), POLLIN, 0}};
    if (::poll(fds, 2, kPollMs) > 0 && (fds[0].revents & (POLLIN | POLLHUP))) {
      input_open = forward_input(attachment, pending);
    }
    attachment.follow();
  }
  // After Ctrl-C the terminal echoed ^C: start a new line, and the shell need not add one.
  std::fprintf(invocation.err, "%s==> detached from %s (it keeps running) <==\n",
               interrupted() ? "\n" : "", name.c_str());
  clear_interrupt();
  return kExitOk;
}

std::vector<std::string> complete_attach(CompletionContext& context, const Args& before,
                                         std::string_view) {
  if (!before.empty()) return {};
  return instance_names(context);
}

constexpr Command kCommands[] = {
    {"attach", "attach NAME",
     "follow a process's output and send typed lines to its stdin (Ctrl-C detaches)", run_attach,
     complete_attach},
    {"fg", "fg NAME", "same as attach (supervisorctl's name)", run_attach, complete_attach},
};

}  // namespace

std::span<const Command> attach_commands() { return kCommands; }

}  // namespace taskd::ctl
