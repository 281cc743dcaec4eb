// The set of supervised processes: building them from config, name patterns (name, group:name,
// group:*, all), start order by priority (stop in reverse), waiting for states, and applying a
// reload plan without touching unchanged processes.
#pragma once

#include "daemon/process/log_file.h"
#include "daemon/supervisor/instance_spec.h"
#include "daemon/supervisor/process.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace taskd::process {
class Reaper;
}  // namespace taskd::process

namespace taskd::supervisor {

// The one rule for how long to wait for processes to get somewhere (a stop, a start, a reload,
// shutdown): their longest stoptime or starttime, plus slack for the SIGKILL that follows
// stoptime to be reaped.
constexpr std::chrono::seconds kSettleSlack{5};
std::chrono::steady_clock::time_point settle_deadline(std::chrono::milliseconds longest);

class Supervisor {
 public:
  Supervisor(boost::asio::io_context& io, process::Reaper& reaper);
  ~Supervisor();

  void on_change(std::function<void(const StateChange&)> handler) {
    on_change_ = std::move(handler);
  }
  void on_output_loss(std::function<void(const OutputLossChange&)> handler) {
    host_.on_output_loss = std::move(handler);
  }

  // Replaces the (empty) set with these instances; nothing starts yet.
  void configure(const std::vector<InstanceSpec>& instances);
  // Starts every autostart instance, lowest priority first.
  void start_autostart();
  // Stops everything, highest priority first, waiting for each level. Once called (shutdown),
  // nothing starts or restarts again; a reload in flight is waited for first.
  boost::asio::awaitable<void> stop_all();

  // Instances matching a pattern: "name", "group:name", "group:*", "group" (its instances), "all".
  Result<std::vector<Process*>> match(std::string_view pattern);
  std::vector<Process*> all();
  Process* find(std::string_view name);

  // Wakes whenever any process changes state; true once `done()` holds, false at the deadline.
  boost::asio::awaitable<bool> wait_until(std::function<bool()> done,
                                          std::chrono::steady_clock::time_point deadline);

  ReloadPlan plan(const std::vector<InstanceSpec>& next) const;
  // Stops removed and changed instances, replaces them, adds new ones (starting autostart ones).
  // Arguments are copied before the first suspension, so callers may pass temporaries' names.
  // Does nothing once stop_all() began or while another apply runs (callers check reloading()).
  boost::asio::awaitable<void> apply(const ReloadPlan& plan, const std::vector<InstanceSpec>& next);
  bool reloading() const { return reloading_; }

  std::size_t size() const { return processes_.size(); }
  std::size_t running_count() const;

 private:
  void notify_waiters();
  std::function<bool()> all_settled(std::vector<std::string> names);
  void sort_processes();
  std::chrono::milliseconds longest_stoptime() const;

  boost::asio::io_context& io_;
  process::LogFileRegistry logs_;
  ProcessHost host_;
  std::vector<std::unique_ptr<Process>> processes_;
  std::set<boost::asio::steady_timer*> waiters_;
  std::function<void(const StateChange&)> on_change_;
  bool reloading_ = false;
  bool stopping_all_ = false;  // set for good by stop_all()
};

}  // namespace taskd::supervisor
