#include "proto/daemon_types.h"

#include "proto/params.h"

#include <boost/json/value_from.hpp>

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
  return decoded;
}

}  // namespace taskd::proto
