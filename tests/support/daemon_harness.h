// Starts the real taskd binary in a temp dir, waits on --ready-fd, and talks to it. On teardown
// it stops the daemon, and when the test failed prints the daemon's log for diagnosis.
#pragma once

#include "common/client_socket.h"
#include "tests/support/process.h"

#include <boost/json/value.hpp>

#include <sys/types.h>

#include <csignal>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace taskd::test {

std::string taskd_binary();
std::string taskctl_binary();
std::string fake_child_binary();
std::string echo_agent_binary();

struct DaemonOptions {
  std::string config;  // TOML; "socket" and "data_dir" default into the dir
  std::vector<std::string> extra_args;
  std::map<std::string, std::string> env;
  bool foreground = true;
};

class Daemon {
 public:
  explicit Daemon(DaemonOptions options = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Starts and waits for readiness; false (with the reason in startup_error()) if it exited.
  bool start();
  const std::string& startup_error() const { return startup_error_; }

  // Sends `signal` and waits for the exit; returns the exit code (-1: killed by a signal).
  int stop(int signal = SIGTERM, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool running() const { return pid_ > 0; }

  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_.path(); }
  const std::string& socket_path() const { return socket_; }
  const std::string& config_path() const { return config_path_; }
  std::string data_dir() const { return dir_.file("data"); }
  std::string log() const;

  // Runs the real taskctl against this daemon.
  RunResult taskctl(const std::vector<std::string>& args, const std::string& input = "") const;

 private:
  DaemonOptions options_;
  TempDir dir_;
  std::string socket_;
  std::string config_path_;
  pid_t pid_ = -1;
  bool detached_ = false;  // daemonised: not our child, so no waitpid
  std::string startup_error_;
};

// A raw JSON-RPC connection for tests (blocking, with timeouts).
class RpcTestClient {
 public:
  explicit RpcTestClient(const std::string& socket_path);
  bool connected() const { return client_.has_value(); }

  bool send_line(const std::string& line);
  std::optional<std::string> read_line(int timeout_ms = 5000);
  // Sends a request and returns the reply with the same id (events in between are kept).
  boost::json::value call(const std::string& method, boost::json::value params = nullptr,
                          int timeout_ms = 10000);
  // Next event notification (kept ones first).
  std::optional<boost::json::value> next_event(int timeout_ms = 5000);
  // True when the daemon has closed the connection (EOF within the timeout).
  bool closed_by_peer(int timeout_ms = 2000);

 private:
  std::optional<LineClient> client_;
  std::vector<boost::json::value> events_;
  std::int64_t next_id_ = 1;
};

boost::json::value parse_json(const std::string& text);

}  // namespace taskd::test
