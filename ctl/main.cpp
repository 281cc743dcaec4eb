// taskctl: talk to taskd. `taskctl [-s ADDR] [--json] COMMAND [ARGS]` runs one command.
#include "common/address.h"
#include "ctl/client.h"
#include "ctl/commands.h"
#include "ctl/exit_codes.h"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct GlobalOptions {
  std::string address;
  bool json = false;
  int connect_timeout_ms = 10000;
  std::vector<std::string> words;  // the command and its arguments
};

void print_usage(std::FILE* to) {
  std::fprintf(to,
               "usage: taskctl [-s ADDR] [--json] [--connect-timeout SECONDS] COMMAND [ARGS...]\n"
               "  -s, --socket ADDR   daemon address: unix:PATH, PATH, vsock:CID:PORT, fc:PATH:PORT\n"
               "                      (default $TASKD_SOCKET, else the daemon's default socket)\n"
               "  -j, --json          print results as JSON, one document per command\n"
               "  -h, --help          this help; 'taskctl help' lists commands\n");
}

bool parse_global(int argc, char** argv, GlobalOptions& options) {
  const char* env = std::getenv("TASKD_SOCKET");
  options.address = env && *env ? env : taskd::default_socket_path();
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "-s" || arg == "--socket") && i + 1 < argc) {
      options.address = argv[++i];
    } else if (arg == "-j" || arg == "--json") {
      options.json = true;
    } else if (arg == "--connect-timeout" && i + 1 < argc) {
      double seconds = std::atof(argv[++i]);
      if (seconds <= 0) return false;
      options.connect_timeout_ms = static_cast<int>(seconds * 1000);
    } else if (arg == "-h" || arg == "--help") {
      print_usage(stdout);
      std::exit(taskd::ctl::kExitOk);
    } else if (arg.starts_with("-") && arg != "-") {
      return false;
    } else {
      break;
    }
  }
  options.words.assign(argv + i, argv + argc);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  GlobalOptions options;
  if (!parse_global(argc, argv, options)) {
    print_usage(stderr);
    return taskd::ctl::kExitUsage;
  }
  if (auto address = taskd::parse_address(options.address); !address) {
    std::fprintf(stderr, "taskctl: %s\n", address.error().message.c_str());
    return taskd::ctl::kExitUnreachable;
  }
  taskd::ctl::Client client(options.address,
                            taskd::ConnectOptions{std::chrono::milliseconds(options.connect_timeout_ms)});
  bool color = ::isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
  taskd::ctl::Invocation invocation{client, options.json, color, stdout, stderr};
  if (options.words.empty()) {
    print_usage(stderr);
    return taskd::ctl::kExitUsage;
  }
  return taskd::ctl::run_command(invocation, options.words);
}
