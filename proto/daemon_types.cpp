#include "proto/daemon_types.h"

#include "proto/json_encode.h"
#include "proto/methods.h"
#include "proto/params.h"
#include "proto/programs_types.h"

#include <boost/json/value_from.hpp>

#include <algorithm>
#include <iterator>

namespace taskd::proto {

void tag_invoke(json::value_from_tag, json::value& out, const VersionResult& v) {
  out = {
      {"protocol", v.protocol}, {"version", v.version}, {"features", json::value_from(v.features)}};
}

void tag_invoke(json::value_from_tag, json::value& out, const HealthResult& v) {
  out = {{"ok", v.ok},
         {"uptime_ms", v.uptime_ms},
         {"pid", v.pid},
         {"programs", v.programs},
         {"programs_running", v.programs_running},
         {"tasks", v.tasks},
         {"sessions", v.sessions},
         {"connections", v.connections},
         {"subscribers", v.subscribers}};
}

void tag_invoke(json::value_from_tag, json::value& out, const TopicsResult& v) {
  out = {{"topics", json::value_from(v.topics)}};
}

Result<TopicsParams> decode_topics_params(const json::value& params) {
  TopicsParams decoded;
  Fields fields(params);
  fields.optional("topics", decoded.topics);
  if (auto done = fields.finish(); !done) return done.error();
  for (const auto& topic : decoded.topics) {
    if (std::find(std::begin(topic::kAll), std::end(topic::kAll), topic) == std::end(topic::kAll))
      return invalid_params("topics", "unknown topic '" + topic + "'");
  }
  return decoded;
}

Result<DaemonTailParams> decode_daemon_tail_params(const json::value& params) {
  DaemonTailParams decoded;
  Fields fields(params);
  fields.optional("offset", decoded.offset).optional("length", decoded.length);
  if (fields.ok() && (decoded.length < 0 || decoded.length > kMaxTailLength)) {
    fields.fail("length", "must be from 0 to 1048576");
  }
  if (auto done = fields.finish(); !done) return done.error();
  return decoded;
}

json::object encode_reload_result(const ReloadReport& report) {
  return json::object{{"applied", report.applied},
                      {"added", string_array(report.added)},
                      {"changed", string_array(report.changed)},
                      {"removed", string_array(report.removed)},
                      {"unchanged", string_array(report.unchanged)}};
}

json::object encode_reload_event(const ReloadReport& report) {
  return json::object{{"added", string_array(report.added)},
                      {"changed", string_array(report.changed)},
                      {"removed", string_array(report.removed)}};
}

}  // namespace taskd::proto
