#include "ctl/shell.h"

#include "common/address.h"
#include "ctl/completion.h"
#include "ctl/exit_codes.h"
#include "ctl/interrupt.h"
#include "ctl/line_editor.h"
#include "ctl/script.h"

#include <clocale>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace taskd::ctl {
namespace {

// "unix:/run/taskd.sock" for a bare path too, so the prompt always says which transport.
std::string display_address(const std::string& text) {
  auto address = parse_address(text);
  return address ? to_string(*address) : text;
}

// Makes sure the history file's directory exists; "" (history in memory only) if it cannot.
std::string prepare_history(std::FILE* err) {
  std::string path = history_file_path(std::getenv("TASKCTL_HISTORY"),
                                       std::getenv("XDG_STATE_HOME"), std::getenv("HOME"));
  if (path.empty()) return path;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (!ec) {
      std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    }
    if (ec) {
      std::fprintf(err, "taskctl: history not saved: cannot create %s: %s\n", dir.c_str(),
                   ec.message().c_str());
      return {};
    }
  }
  return path;
}

// Called when the idle connection becomes readable at the prompt: a daemon that closed it is
// announced; anything else (a late reply to an interrupted call) is dropped silently.
std::string notice_if_gone(Client& client, const std::string& address) {
  auto message = client.read_message(0);
  if (message || !message.error().transport) return {};
  return "*** taskd at " + address + " went away (" + message.error().message +
         "); the next command reconnects";
}

bool is_blank(const std::string& line) {
  return line.find_first_not_of(" \t\r\n") == std::string::npos;
}

}  // namespace

std::string history_file_path(const char* override_path, const char* xdg_state_home,
                              const char* home) {
  if (override_path) return override_path;
  if (xdg_state_home && xdg_state_home[0] == '/') {
    return std::string(xdg_state_home) + "/taskctl/history";
  }
  if (home && *home) return std::string(home) + "/.taskctl_history";
  return {};
}

int run_shell(Invocation& invocation) {
  std::setlocale(LC_CTYPE, "");  // libedit edits characters, not bytes
  InterruptScope interrupts;     // for the session: Ctrl-C never ends taskctl itself
  invocation.interactive = true;
  Client& client = invocation.client;
  std::string address = display_address(client.address_text());
  CompletionContext completion{client};
  LineEditor editor(stdin, invocation.out,
                    {[&](std::string_view before) { return complete_line(completion, before); },
                     [&] { return client.fd(); }, [&] { return notice_if_gone(client, address); }});
  editor.set_prompt("taskd@" + address + "> ");
  editor.use_history_file(prepare_history(invocation.err), kHistorySize);
  run_line(invocation, "status");  // supervisorctl greets with the status table too
  while (!invocation.quit) {
    auto input = editor.read_line();
    if (input.status == LineEditor::Status::kEof) {
      std::fputc('\n', invocation.out);
      break;
    }
    if (input.status == LineEditor::Status::kInterrupted || is_blank(input.line)) continue;
    editor.remember(input.line);
    clear_interrupt();
    int code = run_line(invocation, input.line);
    std::fflush(invocation.out);
    if (interrupted()) {
      // The terminal echoed ^C where the output stopped; the prompt goes on a line of its own.
      std::fputc('\n', invocation.out);
      if (code == kExitInterrupted) {
        std::fprintf(invocation.err, "interrupted; taskd may still carry out the request\n");
      }
      clear_interrupt();  // or the pending byte would cancel the next line at once
    }
    std::fflush(invocation.out);
    std::fflush(invocation.err);
  }
  return kExitOk;
}

}  // namespace taskd::ctl
