// Loads taskd.toml: the [daemon] section here, [programs.*] in program_config.cpp.
#include "daemon/config/config.h"

#include "common/address.h"
#include "common/log.h"
#include "daemon/config/program_config.h"
#include "daemon/config/toml_section.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace taskd {
namespace {

using config::TomlSection;

std::string default_data_dir() {
  if (geteuid() == 0) return "/var/lib/taskd";
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state) {
    return std::string(state) + "/taskd";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.local/state/taskd";
  }
  return "/tmp/taskd-" + std::to_string(geteuid());
}

// Absolute, so paths stay right whatever the daemon's working directory becomes.
std::string directory_of(const std::string& path) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  if (ec) return ".";
  return absolute.parent_path().string();
}

Result<void> parse_daemon_section(const toml::table& table, const std::string& file,
                                  const std::string& base_dir, DaemonSettings& out) {
  TomlSection section(table, file, "daemon");
  section.string("socket", out.socket);
  section.octal("socket_mode", out.socket_mode, 0777);
  section.string("log_file", out.log_file);
  section.string("log_level", out.log_level);
  section.string("data_dir", out.data_dir);
  std::int64_t max_line = static_cast<std::int64_t>(out.max_line_bytes);
  section.integer("max_line_bytes", max_line, 1024, 256 * 1024 * 1024);
  std::int64_t max_queue = static_cast<std::int64_t>(out.max_queue_bytes);
  section.integer("max_queue_bytes", max_queue, 4096, 1024LL * 1024 * 1024);
  std::int64_t max_connections = static_cast<std::int64_t>(out.max_connections);
  section.integer("max_connections", max_connections, 1, 1'000'000);
  std::int64_t max_total_queue = static_cast<std::int64_t>(out.max_total_queue_bytes);
  section.integer("max_total_queue_bytes", max_total_queue, 64 * 1024, 64LL * 1024 * 1024 * 1024);
  section.seconds("idle_timeout", out.idle_timeout_ms);
  std::int64_t vsock_port = -1;  // stays -1 when the key is absent
  section.integer("vsock_port", vsock_port, 0, 0xFFFFFFFE);
  if (const toml::node* cids = section.node("vsock_allow_cids")) {
    const toml::array* array = cids->as_array();
    std::vector<std::uint32_t> parsed;
    bool ok = array != nullptr;
    if (array) {
      for (const toml::node& item : *array) {
        ok = ok && item.is_integer() && item.as_integer()->get() >= 0 &&
             item.as_integer()->get() <= 0xFFFFFFFF;
        if (ok) parsed.push_back(static_cast<std::uint32_t>(item.as_integer()->get()));
      }
    }
    if (!ok) section.fail(*cids, "vsock_allow_cids", "must be an array of CIDs (integers)");
    out.vsock_allow_cids = parsed;
  }
  section.string("announce", out.announce);
  config::byte_size(section, "log_maxbytes", out.log_maxbytes);
  section.integer("log_backups", out.log_backups, 0, 1000);
  if (section.ok() && !out.socket.empty()) {
    auto parsed = parse_address(out.socket);
    if (!parsed || !std::holds_alternative<UnixAddress>(*parsed)) {
      section.fail(*table.get("socket"), "socket",
                   parsed ? "must be a unix: address" : parsed.error().message);
    }
  }
  if (section.ok() && !is_log_level(out.log_level)) {
    section.fail(*table.get("log_level"), "log_level",
                 "must be one of trace, debug, info, warn, error, critical, off");
  }
  if (section.ok() && !out.announce.empty()) {
    auto parsed = parse_address(out.announce);
    if (!parsed || std::holds_alternative<FirecrackerAddress>(*parsed) ||
        (std::holds_alternative<VsockAddress>(*parsed) &&
         std::get<VsockAddress>(*parsed).cid == kVsockCidAny)) {
      section.fail(*table.get("announce"), "announce",
                   "must be a vsock:CID:PORT (or unix:PATH) address");
    }
  }
  out.max_line_bytes = static_cast<std::size_t>(max_line);
  out.max_queue_bytes = static_cast<std::size_t>(max_queue);
  out.max_connections = static_cast<std::size_t>(max_connections);
  out.max_total_queue_bytes = static_cast<std::size_t>(max_total_queue);
  if (vsock_port >= 0) out.vsock_port = static_cast<std::uint32_t>(vsock_port);
  if (!out.data_dir.empty()) out.data_dir = config::resolve_path(base_dir, out.data_dir);
  if (!out.log_file.empty()) out.log_file = config::resolve_path(base_dir, out.log_file);
  if (!out.socket.empty() && !out.socket.starts_with("unix:")) {
    out.socket = config::resolve_path(base_dir, out.socket);
  }
  return section.finish();
}

Result<void> parse_exec_section(const toml::table& table, const std::string& file,
                                exec::ExecSettings& out) {
  TomlSection section(table, file, "exec");
  std::int64_t max_concurrent = static_cast<std::int64_t>(out.max_concurrent);
  section.integer("max_concurrent", max_concurrent, 1, 100000);
  std::int64_t ttl_ms = out.request_key_ttl.count() * 1000;
  section.seconds("request_key_ttl", ttl_ms);
  std::int64_t max_keys = static_cast<std::int64_t>(out.max_request_keys);
  section.integer("max_request_keys", max_keys, 0, 1000000);
  out.max_concurrent = static_cast<std::size_t>(max_concurrent);
  out.request_key_ttl = std::chrono::seconds(ttl_ms / 1000);
  out.max_request_keys = static_cast<std::size_t>(max_keys);
  return section.finish();
}

Result<void> parse_sessions_section(const toml::table& table, const std::string& file,
                                    const std::string& base_dir, sessions::SessionSettings& out) {
  TomlSection section(table, file, "sessions");
  section.string("dir", out.dir);
  if (const toml::node* agent = section.node("agent")) {
    const toml::array* array = agent->as_array();
    bool ok = array && !array->empty();
    std::vector<std::string> words;
    if (array) {
      for (const toml::node& word : *array) {
        ok = ok && word.is_string();
        if (word.is_string()) words.push_back(word.as_string()->get());
      }
    }
    if (!ok)
      section.fail(*agent, "agent", "must be a non-empty array of strings (the agent command)");
    out.agent = std::move(words);
  }
  std::int64_t max_warm = static_cast<std::int64_t>(out.max_warm);
  section.integer("max_warm", max_warm, 1, 10000);
  section.seconds("switch_timeout", out.switch_timeout_ms);
  section.seconds("stop_grace", out.stop_grace_ms);
  std::string ready = out.wait_ready_line ? "line" : "spawn";
  section.string("ready", ready);
  if (section.ok() && ready != "line" && ready != "spawn") {
    section.fail(*table.get("ready"), "ready", "must be \"spawn\" or \"line\"");
  }
  out.wait_ready_line = ready == "line";
  section.string("user", out.user);
  out.max_warm = static_cast<std::size_t>(max_warm);
  if (!out.dir.empty()) out.dir = config::resolve_path(base_dir, out.dir);
  return section.finish();
}

void fill_defaults(DaemonSettings& daemon) {
  if (daemon.socket.empty()) daemon.socket = default_socket_path();
  if (daemon.data_dir.empty()) daemon.data_dir = default_data_dir();
  if (daemon.log_file.empty()) daemon.log_file = daemon.data_dir + "/taskd.log";
}

}  // namespace

namespace config {

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return base_dir + "/" + path;
}

}  // namespace config

bool ProgramConfig::same_definition(const ProgramConfig& other) const {
  ProgramConfig mine = *this;
  mine.line = other.line;
  return mine == other;
}

Config default_config() {
  Config config;
  fill_defaults(config.daemon);
  config.sessions.dir = config.daemon.data_dir + "/sessions";
  return config;
}

Result<Config> parse_config(std::string_view text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return config::config_error(path, static_cast<int>(e.source().begin.line),
                                std::string(e.description()));
  }
  Config config;
  config.path = path;
  std::string base_dir = directory_of(path);
  TomlSection top(root, path, "");
  if (const toml::node* daemon = top.node("daemon")) {
    if (!daemon->is_table()) {
      top.fail(*daemon, "daemon", "must be a table ([daemon])");
    } else if (auto r = parse_daemon_section(*daemon->as_table(), path, base_dir, config.daemon);
               !r) {
      return r.error();
    }
  }
  fill_defaults(config.daemon);
  if (const toml::node* exec = top.node("exec")) {
    if (!exec->is_table()) {
      top.fail(*exec, "exec", "must be a table ([exec])");
    } else if (auto r = parse_exec_section(*exec->as_table(), path, config.exec); !r) {
      return r.error();
    }
  }
  if (const toml::node* sessions = top.node("sessions")) {
    if (!sessions->is_table()) {
      top.fail(*sessions, "sessions", "must be a table ([sessions])");
    } else if (auto r =
                   parse_sessions_section(*sessions->as_table(), path, base_dir, config.sessions);
               !r) {
      return r.error();
    }
  }
  if (config.sessions.dir.empty()) config.sessions.dir = config.daemon.data_dir + "/sessions";
  if (const toml::node* programs = top.node("programs")) {
    auto parsed = config::parse_programs(*programs, path, base_dir, config.daemon.data_dir);
    if (!parsed) return parsed.error();
    config.programs = std::move(*parsed);
  }
  if (auto r = top.finish(); !r) return r.error();
  return config;
}

LogOptions log_options(const DaemonSettings& daemon, bool to_stderr) {
  return LogOptions{daemon.log_file, daemon.log_level, to_stderr, daemon.log_maxbytes,
                    daemon.log_backups};
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kInvalidConfig,
                      path + ":0: cannot read the file: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

}  // namespace taskd
