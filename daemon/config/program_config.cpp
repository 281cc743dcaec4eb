#include "daemon/config/program_config.h"

#include "common/shell_words.h"
#include "common/signals.h"
#include "daemon/config/expand.h"
#include "daemon/config/toml_section.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace taskd::config {
namespace {

constexpr int kMaxNumprocs = 1000;

Result<std::uint64_t> parse_byte_size(std::string_view text) {
  std::uint64_t value = 0;
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    value = value * 10 + static_cast<std::uint64_t>(text[i++] - '0');
    if (value > (1ULL << 40)) return make_error(ErrorCode::kInvalidConfig, "too large");
  }
  if (i == 0) return make_error(ErrorCode::kInvalidConfig, "not a size");
  std::string unit(text.substr(i));
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  unsigned shift = 0;
  if (unit == "KB" || unit == "K" || unit == "KIB") {
    shift = 10;
  } else if (unit == "MB" || unit == "M" || unit == "MIB") {
    shift = 20;
  } else if (unit == "GB" || unit == "G" || unit == "GIB") {
    shift = 30;
  } else if (!unit.empty() && unit != "B") {
    return make_error(ErrorCode::kInvalidConfig, "unknown unit");
  }
  // The bound applies to the scaled size: "17179869184GB" must not wrap to 0 (never rotate).
  if (value > ((1ULL << 40) >> shift)) return make_error(ErrorCode::kInvalidConfig, "too large");
  return value << shift;
}

// Checks that every %(...) in `text` expands.
bool expands(std::string_view text) { return expand_vars(text, {0, "x"}).has_value(); }

void parse_cmd(TomlSection& section, ProgramConfig& program) {
  const toml::node* node = section.node("cmd");
  if (!node) return section.fail_here("cmd", "is required");
  if (node->is_string()) {
    auto words = split_shell_words(node->as_string()->get());
    if (!words) return section.fail(*node, "cmd", words.error().message);
    program.cmd = std::move(*words);
  } else if (const toml::array* array = node->as_array()) {
    for (const toml::node& item : *array) {
      if (!item.is_string()) return section.fail(*node, "cmd", "must be an array of strings");
      program.cmd.push_back(item.as_string()->get());
    }
  } else {
    return section.fail(*node, "cmd", "must be a string or an array of strings");
  }
  if (program.cmd.empty() || program.cmd.front().empty()) {
    return section.fail(*node, "cmd", "must name a program to run");
  }
  for (const auto& word : program.cmd) {
    if (!expands(word)) return section.fail(*node, "cmd", expand_vars(word, {}).error().message);
  }
}

void parse_autorestart(TomlSection& section, AutoRestart& out) {
  const toml::node* node = section.node("autorestart");
  if (!node) return;
  if (node->is_boolean()) {
    out = node->as_boolean()->get() ? AutoRestart::kAlways : AutoRestart::kNever;
    return;
  }
  auto text = node->value<std::string>();
  if (node->is_string() && *text == "always") return void(out = AutoRestart::kAlways);
  if (node->is_string() && *text == "never") return void(out = AutoRestart::kNever);
  if (node->is_string() && *text == "unexpected") return void(out = AutoRestart::kUnexpected);
  section.fail(*node, "autorestart", "must be \"always\", \"never\" or \"unexpected\"");
}

void parse_exitcodes(TomlSection& section, std::vector<int>& out) {
  const toml::node* node = section.node("exitcodes");
  if (!node) return;
  std::vector<int> codes;
  auto add = [&](const toml::node& item) {
    if (!item.is_integer() || item.as_integer()->get() < 0 || item.as_integer()->get() > 255) {
      return false;
    }
    codes.push_back(static_cast<int>(item.as_integer()->get()));
    return true;
  };
  bool ok = node->is_array() ? !node->as_array()->empty() : add(*node);
  if (const toml::array* array = node->as_array()) {
    for (const toml::node& item : *array) ok = ok && add(item);
  }
  if (!ok)
    return section.fail(*node, "exitcodes", "must be an exit code 0-255 or an array of them");
  out = std::move(codes);
}

void parse_stopsignal(TomlSection& section, int& out) {
  const toml::node* node = section.node("stopsignal");
  if (!node) return;
  std::optional<int> signal;
  if (node->is_string()) signal = parse_signal(node->as_string()->get());
  if (node->is_integer()) signal = parse_signal(std::to_string(node->as_integer()->get()));
  if (!signal) return section.fail(*node, "stopsignal", "must be a signal name or number");
  out = *signal;
}

void parse_output(TomlSection& section, const std::string& stream, const std::string& base_dir,
                  OutputConfig& out) {
  if (const toml::node* node = section.node(stream)) {
    auto target = node->value<std::string>();
    if (!node->is_string() || target->empty()) {
      return section.fail(*node, stream,
                          "must be a file path, \"discard\"" +
                              std::string(stream == "stderr" ? " or \"stdout\"" : ""));
    }
    if (*target == "discard") {
      out.kind = OutputConfig::Kind::kDiscard;
    } else if (*target == "stdout" && stream == "stderr") {
      out.kind = OutputConfig::Kind::kMergeIntoStdout;
    } else if (!expands(*target)) {
      return section.fail(*node, stream, expand_vars(*target, {}).error().message);
    } else {
      out.kind = OutputConfig::Kind::kFile;
      out.path = resolve_path(base_dir, *target);
    }
  }
  byte_size(section, stream + "_maxbytes", out.max_bytes);
  section.integer(stream + "_backups", out.backups, 0, 1000);
}

void parse_env(TomlSection& section, std::map<std::string, std::string>& out) {
  const toml::node* node = section.node("env");
  if (!node) return;
  const toml::table* table = node->as_table();
  if (!table) return section.fail(*node, "env", "must be a table of NAME = value");
  for (const auto& [key, value] : *table) {
    std::string text;
    if (value.is_string())
      text = value.as_string()->get();
    else if (value.is_integer())
      text = std::to_string(value.as_integer()->get());
    else if (value.is_floating_point())
      text = std::to_string(value.as_floating_point()->get());
    else if (value.is_boolean())
      text = value.as_boolean()->get() ? "true" : "false";
    else
      return section.fail(value, "env." + std::string(key.str()), "must be a string or number");
    if (key.str().empty() || key.str().find('=') != std::string_view::npos) {
      return section.fail(value, "env", "variable names must be non-empty and contain no '='");
    }
    out[std::string(key.str())] = std::move(text);
  }
}

void parse_stdin(TomlSection& section, bool& pipe) {
  std::string mode = pipe ? "pipe" : "null";
  section.string("stdin", mode);
  if (mode != "pipe" && mode != "null") {
    section.fail(*section.node("stdin"), "stdin", "must be \"null\" or \"pipe\"");
  }
  pipe = mode == "pipe";
}

std::string default_log_path(const std::string& data_dir, const std::string& name, int numprocs,
                             std::string_view stream) {
  std::string base = data_dir + "/logs/" + name;
  if (numprocs > 1) base += "_%(process_num)02d";
  return base + "." + std::string(stream) + ".log";
}

Result<ProgramConfig> parse_program(const std::string& name, const toml::node& node,
                                    const std::string& file, const std::string& base_dir,
                                    const std::string& data_dir) {
  int line = static_cast<int>(node.source().begin.line);
  const toml::table* table = node.as_table();
  if (!table) return config_error(file, line, "programs." + name + ": must be a table");
  if (!is_valid_name(name)) {
    return config_error(file, line,
                        "programs." + name + ": name must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  }
  ProgramConfig program;
  program.name = name;
  program.line = line;
  TomlSection section(*table, file, "programs." + name);
  parse_cmd(section, program);
  section.integer("numprocs", program.numprocs, 1, kMaxNumprocs);
  section.boolean("autostart", program.autostart);
  parse_autorestart(section, program.autorestart);
  parse_exitcodes(section, program.exitcodes);
  section.seconds("starttime", program.starttime_ms);
  section.integer("startretries", program.startretries, 0, 1000);
  parse_stopsignal(section, program.stopsignal);
  section.seconds("stoptime", program.stoptime_ms);
  program.stdout_log.path = default_log_path(data_dir, name, program.numprocs, "stdout");
  program.stderr_log.path = default_log_path(data_dir, name, program.numprocs, "stderr");
  parse_output(section, "stdout", base_dir, program.stdout_log);
  parse_output(section, "stderr", base_dir, program.stderr_log);
  parse_env(section, program.env);
  section.string("workingdir", program.workingdir);
  if (!program.workingdir.empty()) program.workingdir = resolve_path(base_dir, program.workingdir);
  unsigned umask = 0;
  if (section.node("umask")) {
    section.octal("umask", umask, 0777);
    program.umask = static_cast<mode_t>(umask);
  }
  section.string("user", program.user);
  section.integer("priority", program.priority, -100000, 100000);
  parse_stdin(section, program.stdin_pipe);
  if (auto done = section.finish(); !done) return done.error();
  return program;
}

}  // namespace

void byte_size(TomlSection& section, const std::string& key, std::uint64_t& out) {
  const toml::node* node = section.node(key);
  if (!node) return;
  Result<std::uint64_t> size = make_error(ErrorCode::kInvalidConfig, "");
  if (node->is_integer() && node->as_integer()->get() >= 0) {
    size = static_cast<std::uint64_t>(node->as_integer()->get());
  } else if (node->is_string()) {
    size = parse_byte_size(node->as_string()->get());
  }
  if (!size) return section.fail(*node, key, "must be a byte count such as 50MB (0: no rotation)");
  out = *size;
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

Result<std::vector<ProgramConfig>> parse_programs(const toml::node& programs,
                                                  const std::string& file,
                                                  const std::string& base_dir,
                                                  const std::string& data_dir) {
  const toml::table* table = programs.as_table();
  if (!table) {
    return config_error(file, static_cast<int>(programs.source().begin.line),
                        "programs: must be a table of [programs.NAME] tables");
  }
  std::vector<ProgramConfig> parsed;
  for (const auto& [key, node] : *table) {
    auto program = parse_program(std::string(key.str()), node, file, base_dir, data_dir);
    if (!program) return program.error();
    parsed.push_back(std::move(*program));
  }
  std::sort(parsed.begin(), parsed.end(), [](const ProgramConfig& a, const ProgramConfig& b) {
    return std::tie(a.priority, a.name) < std::tie(b.priority, b.name);
  });
  return parsed;
}

}  // namespace taskd::config
