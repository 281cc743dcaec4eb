#include "ctl/options.h"

#include "common/address.h"

#include <unistd.h>

#include <cstdlib>

namespace taskd::ctl {

std::optional<std::string> parse_global_options(const Args& args, GlobalOptions& options) {
  const char* env = std::getenv("TASKD_SOCKET");
  options.address = env && *env ? env : default_socket_path();
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    bool has_value = i + 1 < args.size();
    if (arg == "-s" || arg == "--socket") {
      if (!has_value) return arg + " needs an address";
      options.address = args[++i];
    } else if (arg == "-j" || arg == "--json") {
      options.json = true;
    } else if (arg == "--connect-timeout") {
      if (!has_value) return arg + " needs a number of seconds";
      char* end = nullptr;
      double seconds = std::strtod(args[++i].c_str(), &end);
      if (end == args[i].c_str() || *end != '\0' || !(seconds > 0) || seconds > 86400) {
        return "--connect-timeout: not a positive number of seconds: " + args[i];
      }
      options.connect_timeout_ms = static_cast<int>(seconds * 1000);
    } else if (arg == "-h" || arg == "--help") {
      options.help = true;
    } else if (arg == "--") {
      ++i;
      break;
    } else if (arg.starts_with("-") && arg != "-") {
      return "unknown option " + arg;
    } else {
      break;
    }
  }
  options.words.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return std::nullopt;
}

bool global_option_takes_value(std::string_view option) {
  return option == "-s" || option == "--socket" || option == "--connect-timeout";
}

std::vector<std::string> global_option_names() {
  return {"--connect-timeout", "--help", "--json", "--socket", "-h", "-j", "-s"};
}

void print_usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: taskctl [-s ADDR] [--json] [--connect-timeout SECONDS] [COMMAND [ARGS...]]\n"
      "  -s, --socket ADDR   daemon address: unix:PATH, PATH, vsock:CID:PORT, fc:PATH:PORT\n"
      "                      (default $TASKD_SOCKET, else the daemon's default socket)\n"
      "  -j, --json          print results as JSON, one document per command\n"
      "  --connect-timeout S give up connecting after S seconds (default 10)\n"
      "  -h, --help          this help; 'taskctl help' lists commands\n"
      "Without a command: an interactive shell on a terminal, else commands read from stdin,\n"
      "one per line.\n");
}

bool want_color(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string_view(term) == "dumb") return false;
  return ::isatty(fd) == 1;
}

}  // namespace taskd::ctl
