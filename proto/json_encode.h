// Small JSON encoders every proto codec shares.
#pragma once

#include <boost/json/array.hpp>

#include <string>
#include <vector>

namespace taskd::proto {

boost::json::array string_array(const std::vector<std::string>& strings);

}  // namespace taskd::proto
