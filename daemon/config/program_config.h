// Parses the [programs.NAME] tables of taskd.toml into ProgramConfig values.
#pragma once

#include "daemon/config/config.h"

#include <toml++/toml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace taskd::config {

Result<std::vector<ProgramConfig>> parse_programs(const toml::node& programs,
                                                  const std::string& file,
                                                  const std::string& base_dir,
                                                  const std::string& data_dir);

std::string resolve_path(const std::string& base_dir, const std::string& path);

class TomlSection;
// A byte count key: an integer or a "50MB"-style string (B, KB, MB, GB); absent leaves `out`.
void byte_size(TomlSection& section, const std::string& key, std::uint64_t& out);

// Program and task names: [A-Za-z0-9][A-Za-z0-9._-]{0,63}.
bool is_valid_name(std::string_view name);

}  // namespace taskd::config
