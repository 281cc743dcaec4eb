#include "ctl/script.h"

#include "common/shell_words.h"
#include "ctl/exit_codes.h"

#include <stdio.h>

#include <cstdlib>
#include <string>

namespace taskd::ctl {

int run_line(Invocation& invocation, std::string_view line) {
  auto start = line.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || line[start] == '#') return kExitOk;
  auto words = split_shell_words(line);
  if (!words) {
    std::fprintf(invocation.err, "*** %s: %.*s\n", words.error().message.c_str(),
                 static_cast<int>(line.size()), line.data());
    return kExitUsage;
  }
  return run_command(invocation, *words);
}

int run_script(Invocation& invocation, std::FILE* in) {
  // Unbuffered: a command that reads the rest of stdin itself (attach) must find every line
  // after its own still unread, not sitting in this FILE's buffer.
  std::setvbuf(in, nullptr, _IONBF, 0);
  int last_failure = kExitOk;
  char* buffer = nullptr;
  std::size_t capacity = 0;
  ssize_t length;
  while (!invocation.quit && (length = ::getline(&buffer, &capacity, in)) >= 0) {
    int code = run_line(invocation, std::string_view(buffer, static_cast<std::size_t>(length)));
    std::fflush(invocation.out);
    std::fflush(invocation.err);
    if (code != kExitOk) last_failure = code;
  }
  std::free(buffer);
  return last_failure;
}

}  // namespace taskd::ctl
