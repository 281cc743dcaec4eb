// Params and results of the daemon.* and events.* methods (docs/protocol.md).
#pragma once

#include "common/error.h"

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <cstdint>
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
  std::vector<std::string> topics;  // empty: every topic
};

struct TopicsResult {
  std::vector<std::string> topics;  // the connection's topics after the call
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const VersionResult& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const HealthResult& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const TopicsResult& v);

Result<TopicsParams> decode_topics_params(const boost::json::value& params);

}  // namespace taskd::proto
