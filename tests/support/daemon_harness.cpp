#include "tests/support/daemon_harness.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <thread>

namespace taskd::test {
namespace json = boost::json;

std::string taskd_binary() { return TASKD_BIN; }
std::string taskctl_binary() { return TASKCTL_BIN; }
std::string fake_child_binary() { return FAKE_CHILD_BIN; }
std::string echo_agent_binary() { return ECHO_AGENT_BIN; }

json::value parse_json(const std::string& text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) ADD_FAILURE() << "not JSON: " << text;
  return value;
}

Daemon::Daemon(DaemonOptions options) : options_(std::move(options)) {
  socket_ = dir_.file("taskd.sock");
  config_path_ = dir_.file("taskd.toml");
  std::string config = options_.config;
  if (config.find("[daemon]") == std::string::npos) config = "[daemon]\n" + config;
  // Tests always get their own socket and data dir unless the config names them.
  std::string defaults;
  if (config.find("socket =") == std::string::npos) defaults += "socket = \"" + socket_ + "\"\n";
  if (config.find("data_dir =") == std::string::npos) {
    defaults += "data_dir = \"" + data_dir() + "\"\n";
  }
  config.insert(config.find("[daemon]") + 9, defaults);
  write_file(config_path_, config);
}

Daemon::~Daemon() {
  if (pid_ > 0) {
    // A clean stop must take every child with it: nothing may outlive the daemon.
    std::vector<pid_t> children = descendants_of(pid_);
    int code = stop(SIGTERM);
    if (code != 0) ADD_FAILURE() << "taskd exited with " << code << " on SIGTERM";
    for (pid_t child : children) {
      // A child taskd SIGKILLed just before it exited may not have been scheduled to die yet on a
      // loaded machine: give the kernel a moment; a real survivor is still there after it.
      if (wait_until([&] { return !process_alive(child); }, std::chrono::seconds(2))) continue;
      ADD_FAILURE() << "process " << child << " outlived taskd: "
                    << read_file("/proc/" + std::to_string(child) + "/cmdline");
      ::kill(child, SIGKILL);
    }
    if (path_exists(socket_)) ADD_FAILURE() << "taskd left its socket behind";
  }
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "---- taskd log (%s) ----\n%s\n---- stderr ----\n%s\n", dir().c_str(),
                 log().c_str(), read_file(dir_.file("stderr.log")).c_str());
  }
}

std::string Daemon::log() const { return read_file(data_dir() + "/taskd.log"); }

bool Daemon::start() {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return false;
  std::string stderr_path = dir_.file("stderr.log");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::fcntl(ready[1], F_SETFD, 0);
    int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    ::dup2(err, 1);
    ::dup2(err, 2);
    for (const auto& [key, value] : options_.env) ::setenv(key.c_str(), value.c_str(), 1);
    std::vector<std::string> args = {taskd_binary(), "-c", config_path_, "--ready-fd",
                                     std::to_string(ready[1])};
    if (options_.foreground) args.push_back("--foreground");
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(ready[1]);
  pollfd pfd{ready[0], POLLIN, 0};
  char byte = 0;
  bool ok = ::poll(&pfd, 1, 20000) == 1 && ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  if (!ok) {
    int code = stop(SIGKILL);
    startup_error_ = "exit " + std::to_string(code) + ": " + read_file(stderr_path);
    return false;
  }
  if (!options_.foreground) {
    // The parent exits once the daemonised child is ready; find the child through the socket.
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    RpcTestClient client(socket_);
    auto health = client.call("daemon.health");
    if (health.is_object() && health.as_object().contains("result")) {
      pid_ = static_cast<pid_t>(health.at("result").at("pid").as_int64());
      detached_ = true;
    }
  }
  return true;
}

int Daemon::stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  int code = -1;
  if (detached_) {
    if (!wait_until([&] { return !process_alive(pid_); }, timeout)) ::kill(pid_, SIGKILL);
    pid_ = -1;
    return 0;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "taskd did not exit after signal " << signal;
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status)) code = WEXITSTATUS(status);
  pid_ = -1;
  return code;
}

RunResult Daemon::taskctl(const std::vector<std::string>& args, const std::string& input) const {
  std::vector<std::string> argv = {taskctl_binary(), "-s", socket_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, input);
}

RpcTestClient::RpcTestClient(const std::string& socket_path) {
  auto client = LineClient::connect(UnixAddress{socket_path});
  if (client) client_.emplace(std::move(*client));
}

bool RpcTestClient::send_line(const std::string& line) {
  return client_ && client_->send_line(line).has_value();
}

std::optional<std::string> RpcTestClient::read_line(int timeout_ms) {
  if (!client_) return std::nullopt;
  auto line = client_->read_line(timeout_ms);
  if (!line) return std::nullopt;
  return *line;
}

json::value RpcTestClient::call(const std::string& method, json::value params, int timeout_ms) {
  std::int64_t id = next_id_++;
  json::object request{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) request["params"] = std::move(params);
  if (!send_line(json::serialize(request))) return nullptr;
  for (;;) {
    auto line = read_line(timeout_ms);
    if (!line) return nullptr;
    json::value reply = parse_json(*line);
    const json::value* reply_id = reply.is_object() ? reply.as_object().if_contains("id") : nullptr;
    if (reply_id && reply_id->is_int64() && reply_id->as_int64() == id) return reply;
    if (reply.is_object() && reply.as_object().contains("method")) events_.push_back(reply);
  }
}

std::optional<json::value> RpcTestClient::next_event(int timeout_ms) {
  if (!events_.empty()) {
    json::value event = events_.front();
    events_.erase(events_.begin());
    return event;
  }
  auto line = read_line(timeout_ms);
  if (!line) return std::nullopt;
  return parse_json(*line);
}

bool RpcTestClient::closed_by_peer(int timeout_ms) {
  if (!client_) return true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto line = client_->read_line(50);
    if (!line && line.error().code == ErrorCode::kIo) return true;
  }
  return false;
}

}  // namespace taskd::test
