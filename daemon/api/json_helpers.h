// Small JSON encoders several method families share.
#pragma once

#include "daemon/supervisor/log_reader.h"
#include "proto/json_encode.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace taskd::api {

// A slice of a log file as programs.tail and daemon.tail answer it (text, or base64 bytes).
boost::json::object encode_log_slice(const std::string& file, const supervisor::LogSlice& slice);
using proto::string_array;

}  // namespace taskd::api
