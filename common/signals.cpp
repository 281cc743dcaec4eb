#include "common/signals.h"

#include <charconv>
#include <csignal>

#include <array>
#include <utility>

namespace taskd {
namespace {

constexpr std::array<std::pair<std::string_view, int>, 31> kSignals = {{
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"BUS", SIGBUS},   {"FPE", SIGFPE},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},     {"PWR", SIGPWR},       {"SYS", SIGSYS},
}};

// "RTMIN+6" / "RTMAX-2" / "RTMIN" (after the SIG prefix is removed) as a number, if in range.
std::optional<int> parse_realtime(std::string_view name) {
  bool from_min = name.starts_with("RTMIN");
  if (!from_min && !name.starts_with("RTMAX")) return std::nullopt;
  std::string_view rest = name.substr(5);
  int offset = 0;
  if (!rest.empty()) {
    if (rest.front() != (from_min ? '+' : '-')) return std::nullopt;
    rest.remove_prefix(1);
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), offset);
    if (ec != std::errc{} || end != rest.data() + rest.size()) return std::nullopt;
  }
  int number = from_min ? SIGRTMIN + offset : SIGRTMAX - offset;
  if (number < SIGRTMIN || number > SIGRTMAX) return std::nullopt;
  return number;
}

}  // namespace

std::optional<int> parse_signal(std::string_view text) {
  int number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc{} && end == text.data() + text.size()) {
    if (number >= 1 && number < NSIG) return number;
    return std::nullopt;
  }
  std::string upper;
  for (char c : text) upper.push_back(static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c));
  std::string_view name = upper;
  if (name.starts_with("SIG")) name.remove_prefix(3);
  for (const auto& [known, value] : kSignals) {
    if (known == name) return value;
  }
  return parse_realtime(name);
}

std::string signal_name(int signal) {
  for (const auto& [name, value] : kSignals) {
    if (value == signal) return "SIG" + std::string(name);
  }
  // Split at the middle of the range, as kill -l does: SIGRTMIN+15 is followed by SIGRTMAX-14.
  if (signal >= SIGRTMIN && signal <= SIGRTMAX) {
    int from_min = signal - SIGRTMIN;
    int from_max = SIGRTMAX - signal;
    if (from_min == 0) return "SIGRTMIN";
    if (from_max == 0) return "SIGRTMAX";
    if (from_min <= from_max) return "SIGRTMIN+" + std::to_string(from_min);
    return "SIGRTMAX-" + std::to_string(from_max);
  }
  return "SIG" + std::to_string(signal);
}

std::vector<std::string> signal_names() {
  std::vector<std::string> names;
  for (const auto& [name, value] : kSignals) names.emplace_back(name);
  return names;
}

}  // namespace taskd
