#include "ctl/line_editor.h"

#include "ctl/interrupt.h"

#include <fcntl.h>
#include <histedit.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace taskd::ctl {
namespace {

volatile sig_atomic_t g_resized = 0;
void on_sigwinch(int) { g_resized = 1; }

// Characters (not bytes) in a UTF-8 string, for el_deletestr().
int char_count(std::string_view text) {
  int count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

int terminal_columns(std::FILE* out) {
  winsize size{};
  if (::ioctl(fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

}  // namespace

LineEditor::LineEditor(std::FILE* in, std::FILE* out, Hooks hooks)
    : in_(in), out_(out), hooks_(std::move(hooks)) {
  // Keys are read from a separate, non-blocking open of the terminal: after poll() reported a
  // key, a Ctrl-C can still flush it (ISIG) before read(), and a blocking read would then hang
  // until the next key. O_NONBLOCK on fd 0 itself would leak into the invoking shell, which
  // shares that file description.
  if (const char* name = ::ttyname(fileno(in_))) {
    read_fd_ = ::open(name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  }
  el_ = el_init("taskctl", in_, out_, stderr);
  history_ = history_init();
  HistEvent event;
  history(history_, &event, H_SETSIZE, 1000);
  history(history_, &event, H_SETUNIQUE, 1);
  el_set(el_, EL_CLIENTDATA, this);
  el_set(el_, EL_EDITOR, "emacs");
  el_set(el_, EL_PROMPT, &LineEditor::prompt_of);
  el_set(el_, EL_HIST, history, history_);
  el_set(el_, EL_GETCFN, &LineEditor::read_char);
  // el_wset with static wide strings: libedit keeps the pointers (el_set would leak copies).
  el_wset(el_, EL_ADDFN, L"taskctl-complete", L"complete a command, name or option", &on_tab);
  el_set(el_, EL_BIND, "^I", "taskctl-complete", nullptr);
  el_wset(el_, EL_ADDFN, L"taskctl-cancel", L"drop the line (Ctrl-C)", &on_cancel);
  el_set(el_, EL_BIND, "^C", "taskctl-cancel", nullptr);
  el_source(el_, nullptr);  // the user's ~/.editrc, as in every libedit program
}

LineEditor::~LineEditor() {
  if (read_fd_ >= 0) ::close(read_fd_);
  el_end(el_);
  history_end(history_);
}

void LineEditor::use_history_file(std::string path, int size) {
  HistEvent event;
  history(history_, &event, H_SETSIZE, std::max(size, 1));
  history_path_ = std::move(path);
  if (!history_path_.empty()) history(history_, &event, H_LOAD, history_path_.c_str());
}

void LineEditor::remember(const std::string& line) {
  HistEvent event;
  history(history_, &event, H_ENTER, line.c_str());
  if (history_path_.empty()) return;
  // Created 0600 before libedit's fopen("w"): a history can hold names worth keeping private.
  int fd = ::open(history_path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  history(history_, &event, H_SAVE, history_path_.c_str());
}

LineEditor::Input LineEditor::read_line() {
  cancelled_ = eof_ = cancel_pending_ = false;
  decode_state_ = {};
  // Without EL_SIGNAL libedit does not track resizes; note them for el_resize() while editing
  // only: during a command SIGWINCH keeps its default (ignored) so it never interrupts a read.
  struct sigaction action {};
  action.sa_handler = on_sigwinch;
  sigemptyset(&action.sa_mask);
  struct sigaction previous {};
  ::sigaction(SIGWINCH, &action, &previous);
  int count = 0;
  const char* text = el_gets(el_, &count);
  ::sigaction(SIGWINCH, &previous, nullptr);
  if (cancelled_) {
    std::fputs("^C\n", out_);
    std::fflush(out_);
    return {Status::kInterrupted, {}};
  }
  if (eof_ || !text || count <= 0) return {Status::kEof, {}};
  std::string line(text, static_cast<std::size_t>(count));
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return {Status::kLine, std::move(line)};
}

LineEditor& LineEditor::self(EditLine* el) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  return *static_cast<LineEditor*>(data);
}

char* LineEditor::prompt_of(EditLine* el) { return self(el).prompt_.data(); }

int LineEditor::next_byte() {
  int in_fd = read_fd_ >= 0 ? read_fd_ : fileno(in_);
  for (;;) {
    int watch = hooks_.watch_fd ? hooks_.watch_fd() : -1;
    pollfd fds[3] = {{in_fd, POLLIN, 0}, {interrupt_fd(), POLLIN, 0}, {watch, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno != EINTR) break;
      if (g_resized) {
        g_resized = 0;
        el_resize(el_);
      }
      continue;
    }
    if (fds[1].revents) {
      clear_interrupt();
      cancel_pending_ = true;
      return -1;
    }
    if (fds[2].revents && hooks_.on_watch_readable) {
      show_notice(hooks_.on_watch_readable());
      continue;
    }
    if (fds[0].revents) {
      unsigned char byte = 0;
      ssize_t n = ::read(in_fd, &byte, 1);
      if (n == 1) return byte;
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      break;
    }
  }
  eof_ = true;
  return -1;
}

int LineEditor::read_char(EditLine* el, wchar_t* out) {
  LineEditor& me = self(el);
  for (;;) {
    int byte = me.next_byte();
    if (byte < 0) {
      if (!me.cancel_pending_) return 0;  // end of input
      me.cancel_pending_ = false;
      *out = L'\x03';  // bound to on_cancel
      return 1;
    }
    char c = static_cast<char>(byte);
    wchar_t wide = 0;
    std::size_t n = std::mbrtowc(&wide, &c, 1, &me.decode_state_);
    if (n == static_cast<std::size_t>(-2)) continue;  // more bytes of this character to come
    if (n == static_cast<std::size_t>(-1)) {
      me.decode_state_ = {};  // not valid in this locale: drop the byte
      continue;
    }
    *out = n == 0 ? L'\0' : wide;
    return 1;
  }
}

unsigned char LineEditor::on_tab(EditLine* el, int) {
  LineEditor& me = self(el);
  if (!me.hooks_.complete) return CC_REFRESH_BEEP;
  const LineInfo* info = el_line(el);
  std::string_view before(info->buffer, static_cast<std::size_t>(info->cursor - info->buffer));
  Completion completion = me.hooks_.complete(before);
  const auto& candidates = completion.candidates;
  if (candidates.empty()) return CC_REFRESH_BEEP;
  std::string shared = common_prefix(candidates);
  if (candidates.size() == 1 || shared.size() > completion.current.size()) {
    std::string insert = quote_word(candidates.size() == 1 ? candidates.front() : shared);
    if (candidates.size() == 1) insert += ' ';
    el_deletestr(el, char_count(before.substr(completion.replace_from)));
    el_insertstr(el, insert.c_str());
    return CC_REFRESH;
  }
  me.list_candidates(candidates);
  return CC_REDISPLAY;
}

unsigned char LineEditor::on_cancel(EditLine* el, int) {
  LineEditor& me = self(el);
  me.cancelled_ = true;
  const LineInfoW* info = el_wline(el);
  el_cursor(el, static_cast<int>(info->lastchar - info->cursor));  // "^C" goes after the text
  return CC_NEWLINE;
}

void LineEditor::show_notice(const std::string& notice) {
  if (notice.empty()) return;
  std::fprintf(out_, "\n%s\n", notice.c_str());
  std::fflush(out_);
  el_set(el_, EL_REFRESH);  // redraw the prompt and the line being edited below the notice
}

void LineEditor::list_candidates(const std::vector<std::string>& candidates) {
  std::size_t width = 0;
  for (const auto& c : candidates) width = std::max(width, c.size());
  width += 2;
  std::size_t per_row = std::max<std::size_t>(1, terminal_columns(out_) / width);
  std::fputc('\n', out_);
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    bool last_in_row = (i + 1) % per_row == 0 || i + 1 == candidates.size();
    if (last_in_row)
      std::fprintf(out_, "%s\n", candidates[i].c_str());
    else
      std::fprintf(out_, "%-*s", static_cast<int>(width), candidates[i].c_str());
  }
  std::fflush(out_);
}

}  // namespace taskd::ctl
