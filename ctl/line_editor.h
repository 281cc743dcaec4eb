// The shell's line editor on libedit's native API (histedit.h): emacs keys, history, and our own
// character reader. Reading characters ourselves is the point: one poll() waits for a key, for
// Ctrl-C (the interrupt self-pipe) and for the daemon connection, so Ctrl-C cancels the line
// without libedit's signal handlers and a daemon that goes away is reported at the prompt.
// Only used when stdin is a terminal.
#pragma once

#include "ctl/completion.h"

#include <cstdio>
#include <cwchar>
#include <functional>
#include <string>
#include <string_view>

typedef struct editline EditLine;  // NOLINT: libedit's C types
typedef struct history History;    // NOLINT

namespace taskd::ctl {

class LineEditor {
 public:
  struct Hooks {
    // Candidates for the text before the cursor (TAB).
    std::function<Completion(std::string_view before_cursor)> complete;
    // An fd to watch while waiting for keys (-1: none), and the notice to print above the
    // prompt when it becomes readable ("" for none).
    std::function<int()> watch_fd;
    std::function<std::string()> on_watch_readable;
  };

  enum class Status { kLine, kInterrupted, kEof };
  struct Input {
    Status status = Status::kEof;
    std::string line;
  };

  LineEditor(std::FILE* in, std::FILE* out, Hooks hooks);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  void set_prompt(std::string prompt) { prompt_ = std::move(prompt); }

  // Loads `path` (when it exists) and saves to it after every entered line; at most `size`
  // entries are kept, in memory and in the file. An empty path keeps history in memory only.
  void use_history_file(std::string path, int size);
  // Adds a line to the history (consecutive duplicates are kept once) and saves the file.
  void remember(const std::string& line);

  // Edits one line. kInterrupted: Ctrl-C (the line is dropped); kEof: Ctrl-D on an empty line
  // or the terminal closed.
  Input read_line();

 private:
  static char* prompt_of(EditLine* el);
  static int read_char(EditLine* el, wchar_t* out);
  static unsigned char on_tab(EditLine* el, int key);
  static unsigned char on_cancel(EditLine* el, int key);

  static LineEditor& self(EditLine* el);
  // Next byte from the terminal, or -1 (Ctrl-C pending: cancel_ set; EOF: eof_ set).
  int next_byte();
  void show_notice(const std::string& notice);
  void list_candidates(const std::vector<std::string>& candidates);

  std::FILE* in_;
  std::FILE* out_;
  int read_fd_ = -1;  // non-blocking open of the terminal (-1: read fileno(in_))
  Hooks hooks_;
  EditLine* el_ = nullptr;
  History* history_ = nullptr;
  std::string history_path_;
  std::string prompt_;
  std::mbstate_t decode_state_{};
  bool cancelled_ = false;
  bool eof_ = false;
  bool cancel_pending_ = false;  // Ctrl-C seen; the next character handed to libedit is ^C
};

}  // namespace taskd::ctl
