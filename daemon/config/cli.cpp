#include "daemon/config/cli.h"

#include <charconv>

namespace taskd {
namespace {

Error usage_error(std::string message) {
  return make_error(ErrorCode::kInvalidParams, std::move(message));
}

}  // namespace

std::string cli_usage() {
  return "usage: taskd [-c FILE] [-s ADDR] [--foreground] [--ready-fd N] [--init] [--check]\n"
         "  -c, --config FILE   configuration (default /etc/taskd.toml if it exists)\n"
         "  -s, --socket ADDR   listen address, overrides [daemon] socket (unix:PATH or PATH)\n"
         "  -f, --foreground    stay in the foreground and log to stderr as well\n"
         "      --ready-fd N    write a newline to fd N once listening, then close it\n"
         "      --init          act as init (implied when running as PID 1)\n"
         "      --check         validate the configuration and exit\n"
         "  -v, --version       print the version\n"
         "  -h, --help          this help\n";
}

Result<CliOptions> parse_cli(const std::vector<std::string>& args) {
  CliOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](std::string& out) -> Result<void> {
      if (i + 1 >= args.size()) return usage_error(arg + " needs a value");
      out = args[++i];
      return {};
    };
    if (arg == "-c" || arg == "--config") {
      if (auto r = value(options.config_path); !r) return r.error();
      options.config_explicit = true;
    } else if (arg == "-s" || arg == "--socket") {
      std::string address;
      if (auto r = value(address); !r) return r.error();
      options.socket_override = address;
    } else if (arg == "-f" || arg == "--foreground" || arg == "-n" || arg == "--nodaemon") {
      options.foreground = true;
    } else if (arg == "--ready-fd") {
      std::string text;
      if (auto r = value(text); !r) return r.error();
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), options.ready_fd);
      if (ec != std::errc{} || end != text.data() + text.size() || options.ready_fd < 0) {
        return usage_error("--ready-fd needs a file descriptor number");
      }
    } else if (arg == "--init") {
      options.init_mode = true;
    } else if (arg == "--check") {
      options.check_only = true;
    } else if (arg == "-v" || arg == "--version") {
      options.show_version = true;
    } else if (arg == "-h" || arg == "--help") {
      options.show_help = true;
    } else {
      return usage_error("unknown argument '" + arg + "'");
    }
  }
  return options;
}

}  // namespace taskd
