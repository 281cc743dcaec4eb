// taskctl: talk to taskd. `taskctl [-s ADDR] [--json] COMMAND [ARGS]` runs one command; without a
// command it is an interactive shell on a terminal, else it runs the lines of stdin.
#include "common/address.h"
#include "ctl/client.h"
#include "ctl/cmd_completion.h"
#include "ctl/commands.h"
#include "ctl/exit_codes.h"
#include "ctl/options.h"
#include "ctl/script.h"
#include "ctl/shell.h"

#include <unistd.h>

#include <cstdio>

namespace ctl = taskd::ctl;

int main(int argc, char** argv) {
  ctl::Args args(argv + 1, argv + argc);
  // Hidden entry point of the bash/zsh completion scripts; global options are in its line.
  if (!args.empty() && args.front() == "__complete") {
    return ctl::run_complete_request(ctl::Args(args.begin() + 1, args.end()), stdout);
  }
  ctl::GlobalOptions options;
  if (auto error = ctl::parse_global_options(args, options)) {
    std::fprintf(stderr, "taskctl: %s\n", error->c_str());
    ctl::print_usage(stderr);
    return ctl::kExitUsage;
  }
  if (options.help) {
    ctl::print_usage(stdout);
    return ctl::kExitOk;
  }
  if (auto address = taskd::parse_address(options.address); !address) {
    std::fprintf(stderr, "taskctl: %s\n", address.error().message.c_str());
    return ctl::kExitUnreachable;
  }
  ctl::Client client(options.address,
                     taskd::ConnectOptions{std::chrono::milliseconds(options.connect_timeout_ms)});
  ctl::Invocation invocation{client, options.json, ctl::want_color(STDOUT_FILENO)};
  if (!options.words.empty()) return ctl::run_command(invocation, options.words);
  if (::isatty(STDIN_FILENO)) return ctl::run_shell(invocation);
  invocation.color = false;  // a script's output carries no escape codes
  return ctl::run_script(invocation, stdin);
}
