// A child process with precisely controllable behaviour for supervision and exec tests.
// Flags run in order; the process then waits (--wait) or exits (--exit N, default 0).
//   --out TEXT / --err TEXT   write TEXT and a newline to stdout / stderr
//   --env NAME                print NAME=value (or NAME unset)
//   --cwd / --umask / --ids   print the working directory / umask (octal) / "uid gid groups"
//   --spew BYTES              write BYTES bytes of 'x' (in 64 KiB blocks) to stdout
//   --sleep MS                sleep MS milliseconds
//   --ignore SIG              ignore a signal (TERM, INT, HUP, USR1, ...)
//   --trap SIG                on SIG, print "trapped SIG" and exit 0
//   --orphan MS               fork a grandchild that sleeps MS ms, and do not wait for it
//   --fds                     print the open file descriptors above 2 ("fds: 3 4")
//   --echo-stdin              copy stdin to stdout until EOF
//   --wait                    sleep until a signal ends the process
//   --exit N / --kill-self SIG
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

int signal_number(const std::string& name) {
  const std::pair<const char*, int> known[] = {{"TERM", SIGTERM}, {"INT", SIGINT},
                                               {"HUP", SIGHUP},   {"USR1", SIGUSR1},
                                               {"USR2", SIGUSR2}, {"QUIT", SIGQUIT}};
  for (const auto& [n, v] : known) {
    if (name == n) return v;
  }
  return std::atoi(name.c_str());
}

volatile sig_atomic_t trapped = 0;
void on_trap(int signal) { trapped = signal; }

void write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n <= 0) return;
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void print_fds() {
  std::string line = "fds:";
  DIR* dir = ::opendir("/proc/self/fd");
  int own = dir ? ::dirfd(dir) : -1;
  while (dirent* entry = dir ? ::readdir(dir) : nullptr) {
    int fd = std::atoi(entry->d_name);
    if (entry->d_name[0] == '.' || fd <= 2 || fd == own) continue;
    line += " " + std::string(entry->d_name);
  }
  if (dir) ::closedir(dir);
  std::printf("%s\n", line.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  std::vector<std::string> args(argv + 1, argv + argc);
  int exit_code = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string next = i + 1 < args.size() ? args[i + 1] : "";
    if (a == "--out") {
      std::printf("%s\n", next.c_str());
      ++i;
    } else if (a == "--err") {
      std::fprintf(stderr, "%s\n", next.c_str());
      ++i;
    } else if (a == "--env") {
      const char* v = std::getenv(next.c_str());
      v ? std::printf("%s=%s\n", next.c_str(), v) : std::printf("%s unset\n", next.c_str());
      ++i;
    } else if (a == "--cwd") {
      char buf[4096];
      std::printf("%s\n", ::getcwd(buf, sizeof buf) ? buf : "?");
    } else if (a == "--umask") {
      mode_t m = ::umask(0);
      std::printf("%03o\n", m);
    } else if (a == "--ids") {
      gid_t groups[64];
      int n = ::getgroups(64, groups);
      std::printf("%d %d %d\n", ::getuid(), ::getgid(), n);
    } else if (a == "--spew") {
      long long left = std::atoll(next.c_str());
      std::vector<char> block(65536, 'x');
      while (left > 0) {
        size_t n = static_cast<size_t>(std::min<long long>(left, block.size()));
        write_all(1, block.data(), n);
        left -= static_cast<long long>(n);
      }
      ++i;
    } else if (a == "--sleep") {
      ::usleep(static_cast<useconds_t>(std::atoi(next.c_str())) * 1000);
      ++i;
    } else if (a == "--ignore") {
      ::signal(signal_number(next), SIG_IGN);
      ++i;
    } else if (a == "--trap") {
      ::signal(signal_number(next), on_trap);
      ++i;
    } else if (a == "--orphan") {
      int ms = std::atoi(next.c_str());
      if (::fork() == 0) {
        ::usleep(static_cast<useconds_t>(ms) * 1000);
        ::_exit(0);
      }
      ++i;
    } else if (a == "--fds") {
      print_fds();
    } else if (a == "--echo-stdin") {
      char buf[65536];
      ssize_t n;
      while ((n = ::read(0, buf, sizeof buf)) > 0) write_all(1, buf, static_cast<size_t>(n));
    } else if (a == "--wait") {
      while (!trapped) ::pause();
    } else if (a == "--exit") {
      exit_code = std::atoi(next.c_str());
      ++i;
    } else if (a == "--kill-self") {
      ::kill(::getpid(), signal_number(next));
      ++i;
    }
    if (trapped) {
      std::printf("trapped %d\n", static_cast<int>(trapped));
      return 0;
    }
  }
  if (trapped) std::printf("trapped %d\n", static_cast<int>(trapped));
  return exit_code;
}
