#include "common/signals.h"

#include <charconv>
#include <csignal>

#include <array>
#include <utility>

namespace taskd {
namespace {

constexpr std::array<std::pair<std::string_view, int>, 29> kSignals = {{
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"BUS", SIGBUS},   {"FPE", SIGFPE},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"SYS", SIGSYS},
}};

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
  return std::nullopt;
}

std::string signal_name(int signal) {
  for (const auto& [name, value] : kSignals) {
    if (value == signal) return std::string(name);
  }
  return "SIG" + std::to_string(signal);
}

std::vector<std::string> signal_names() {
  std::vector<std::string> names;
  for (const auto& [name, value] : kSignals) names.emplace_back(name);
  return names;
}

}  // namespace taskd
