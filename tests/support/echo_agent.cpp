// The reference agent for tests and benchmarks (docs/agents.md): speaks the agent protocol on
// stdin/stdout and remembers every prompt in $TASKD_SESSION_DIR/memory.txt, so a resumed session
// recalls earlier turns and two sessions never share memory.
//   prompt "recall"        → outputs every remembered prompt
//   prompt "noise"         → also prints a line that is not JSON
//   prompt "crash"         → exits with status 3 mid-turn
//   prompt "whoami"        → outputs TASKD_TASK_ID and the working directory
//   --ready-delay-ms N     → says {"type":"ready"} after N ms;  --no-ready → never
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

namespace json = boost::json;

namespace {

void send(const json::object& message) {
  std::cout << json::serialize(message) << "\n" << std::flush;
}

void output(const std::string& text) { send({{"type", "output"}, {"chunk", text}}); }

std::string memory_path() {
  const char* dir = std::getenv("TASKD_SESSION_DIR");
  return std::string(dir ? dir : ".") + "/memory.txt";
}

}  // namespace

int main(int argc, char** argv) {
  int ready_delay_ms = 0;
  bool ready = true;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--ready-delay-ms" && i + 1 < argc) ready_delay_ms = std::atoi(argv[++i]);
    if (arg == "--no-ready") ready = false;
  }
  if (ready_delay_ms > 0) ::usleep(static_cast<useconds_t>(ready_delay_ms) * 1000);
  if (ready) send({{"type", "ready"}});
  std::string line;
  int turns = 0;
  while (std::getline(std::cin, line)) {
    boost::system::error_code ec;
    json::value value = json::parse(line, ec);
    if (ec || !value.is_object() || !value.as_object().contains("message")) continue;
    std::string message(value.at("message").as_string());
    ++turns;
    std::ofstream(memory_path(), std::ios::app) << message << "\n";
    output("echo: " + message + "\n");
    if (message == "recall") {
      std::ifstream memory(memory_path());
      std::string remembered;
      while (std::getline(memory, remembered)) output("remembered: " + remembered + "\n");
    } else if (message == "noise") {
      std::cout << "this line is not JSON" << std::endl;
    } else if (message == "crash") {
      std::_Exit(3);
    } else if (message == "whoami") {
      char cwd[4096];
      output(std::string("task ") + std::getenv("TASKD_TASK_ID") + " in " +
             (::getcwd(cwd, sizeof cwd) ? cwd : "?") + "\n");
    }
    send({{"type", "end"}, {"usage", {{"turn", turns}, {"input_chars", message.size()}}}});
  }
  return 0;
}
