#include "proto/json_encode.h"

namespace taskd::proto {

boost::json::array string_array(const std::vector<std::string>& strings) {
  boost::json::array out;
  out.reserve(strings.size());
  for (const auto& text : strings) out.emplace_back(text);
  return out;
}

}  // namespace taskd::proto
