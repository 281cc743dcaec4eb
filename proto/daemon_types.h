// Params and results of the daemon.* and events.* methods (docs/protocol.md).
#pragma once

#include "common/error.h"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace taskd::proto {

struct VersionResult {
  std::string protocol;
  std::string version;
  std::vector<std::string> features;
};

struct HealthResult {
  bool ok = true;
  std::int64_t uptime_ms = 0;
  std::int64_t pid = 0;
  std::size_t programs = 0;
  std::size_t programs_running = 0;
  std::size_t tasks = 0;
  std::size_t sessions = 0;
  std::size_t connections = 0;
  std::size_t subscribers = 0;
};

struct TopicsParams {
  std::vector<std::string> topics;  // known topic names; empty: every topic
};

struct TopicsResult {
  std::vector<std::string> topics;  // the connection's topics after the call
};

struct DaemonTailParams {
  std::optional<std::int64_t> offset;  // as programs.tail
  std::int64_t length = 1600;
};

// What daemon.reload did or would do (its result, and the `reload` event of topic daemon).
struct ReloadReport {
  bool applied = false;
  std::vector<std::string> added;
  std::vector<std::string> changed;
  std::vector<std::string> removed;
  std::vector<std::string> unchanged;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const VersionResult& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const HealthResult& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const TopicsResult& v);

Result<TopicsParams> decode_topics_params(const boost::json::value& params);
Result<DaemonTailParams> decode_daemon_tail_params(const boost::json::value& params);

boost::json::object encode_reload_result(const ReloadReport& report);
// The event names what changed only: added, changed, removed.
boost::json::object encode_reload_event(const ReloadReport& report);

}  // namespace taskd::proto
