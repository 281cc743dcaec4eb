#include "daemon/api/json_helpers.h"

#include "common/text_encoding.h"

namespace taskd::api {
namespace json = boost::json;

json::object encode_log_slice(const std::string& file, const supervisor::LogSlice& slice) {
  return json::object{{"file", file},
                      {"data", slice.is_text ? slice.data : base64_encode(slice.data)},
                      {"encoding", slice.is_text ? "utf-8" : "base64"},
                      {"offset", slice.offset},
                      {"next_offset", slice.next_offset},
                      {"size", slice.size},
                      {"reset", slice.reset}};
}

}  // namespace taskd::api
