#include "daemon/supervisor/supervisor.h"

#include "common/log.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <map>

namespace taskd::supervisor {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

Clock::time_point settle_deadline(std::chrono::milliseconds longest) {
  return Clock::now() + longest + kSettleSlack;
}

Supervisor::Supervisor(asio::io_context& io, process::Reaper& reaper)
    : io_(io),
      host_{io,
            reaper,
            logs_,
            [this](const StateChange& change) {
              notify_waiters();
              if (on_change_) on_change_(change);
            },
            {}} {}

Supervisor::~Supervisor() = default;

void Supervisor::configure(const std::vector<InstanceSpec>& instances) {
  processes_.clear();
  for (const auto& spec : instances) processes_.push_back(std::make_unique<Process>(host_, spec));
  sort_processes();
}

void Supervisor::sort_processes() {
  std::stable_sort(processes_.begin(), processes_.end(), [](const auto& a, const auto& b) {
    const auto& x = a->spec();
    const auto& y = b->spec();
    return std::tie(x.program.priority, x.group, x.process_num) <
           std::tie(y.program.priority, y.group, y.process_num);
  });
}

void Supervisor::start_autostart() {
  for (auto& process : processes_) {
    if (process->spec().program.autostart && process->state() == ProcessState::kStopped) {
      (void)process->start();
    }
  }
}

std::chrono::milliseconds Supervisor::longest_stoptime() const {
  std::int64_t longest = 0;
  for (const auto& process : processes_)
    longest = std::max(longest, process->spec().program.stoptime_ms);
  return std::chrono::milliseconds(longest);
}

asio::awaitable<void> Supervisor::stop_all() {
  // From here on nothing starts or restarts; a reload in flight finishes without starting what
  // it added, and its set of processes is the one stopped below.
  stopping_all_ = true;
  for (auto& process : processes_) process->shut_down();
  // The reload's own wait began earlier with the same rule, so it ends before this one does.
  std::function<bool()> no_reload = [this] { return !reloading_; };
  co_await wait_until(std::move(no_reload), settle_deadline(longest_stoptime()));
  // By name, level by level: each wait below lets other code run, so no Process* is kept.
  std::map<int, std::vector<std::string>, std::greater<>> by_priority;
  for (auto& process : processes_)
    by_priority[process->spec().program.priority].push_back(process->name());
  for (auto& [priority, names] : by_priority) {
    for (const auto& name : names) {
      if (Process* process = find(name)) (void)process->stop();
    }
    // SIGKILL follows each stop signal after stoptime; give up on the unkillable after that.
    std::function<bool()> done = all_settled(names);
    co_await wait_until(std::move(done), settle_deadline(longest_stoptime()));
  }
}

// Built outside the co_await expressions that use it: GCC 12 mishandles capturing lambdas there.
std::function<bool()> Supervisor::all_settled(std::vector<std::string> names) {
  return [this, names = std::move(names)] {
    return std::all_of(names.begin(), names.end(), [this](const std::string& name) {
      Process* process = find(name);
      return !process || is_settled(process->state());
    });
  };
}

Process* Supervisor::find(std::string_view name) {
  for (auto& process : processes_) {
    if (process->name() == name) return process.get();
  }
  return nullptr;
}

std::vector<Process*> Supervisor::all() {
  std::vector<Process*> out;
  for (auto& process : processes_) out.push_back(process.get());
  return out;
}

Result<std::vector<Process*>> Supervisor::match(std::string_view pattern) {
  std::vector<Process*> found;
  auto colon = pattern.find(':');
  for (auto& process : processes_) {
    const InstanceSpec& spec = process->spec();
    bool hit = false;
    if (pattern == "all") {
      hit = true;
    } else if (colon == std::string_view::npos) {
      hit = spec.name == pattern || spec.group == pattern;
    } else {
      std::string_view group = pattern.substr(0, colon);
      std::string_view rest = pattern.substr(colon + 1);
      hit = spec.group == group &&
            (rest == "*" || spec.name == pattern || (spec.name == group && rest == group));
    }
    if (hit) found.push_back(process.get());
  }
  if (found.empty()) {
    return make_error(ErrorCode::kNotFound, "no such process: " + std::string(pattern))
        .with("name", std::string(pattern));
  }
  return found;
}

void Supervisor::notify_waiters() {
  for (auto* timer : waiters_) timer->cancel();
}

asio::awaitable<bool> Supervisor::wait_until(std::function<bool()> done,
                                             Clock::time_point deadline) {
  asio::steady_timer timer(io_);
  while (!done()) {
    if (Clock::now() >= deadline) co_return false;
    timer.expires_at(deadline);
    waiters_.insert(&timer);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    waiters_.erase(&timer);
  }
  co_return true;
}

ReloadPlan Supervisor::plan(const std::vector<InstanceSpec>& next) const {
  std::vector<InstanceSpec> current;
  for (const auto& process : processes_) current.push_back(process->spec());
  return plan_reload(current, next);
}

asio::awaitable<void> Supervisor::apply(const ReloadPlan& plan_ref,
                                        const std::vector<InstanceSpec>& next_ref) {
  if (stopping_all_ || reloading_) co_return;  // shutdown owns the set now; one at a time
  ReloadPlan plan = plan_ref;
  std::vector<InstanceSpec> next = next_ref;
  reloading_ = true;
  std::vector<std::string> leaving = plan.removed;
  for (const auto& spec : plan.changed) leaving.push_back(spec.name);
  for (const auto& name : leaving) {
    if (Process* process = find(name)) (void)process->stop();
  }
  std::function<bool()> done = all_settled(leaving);
  co_await wait_until(std::move(done), settle_deadline(longest_stoptime()));
  std::erase_if(processes_, [&](const auto& process) {
    return std::find(leaving.begin(), leaving.end(), process->name()) != leaving.end();
  });
  std::vector<Process*> fresh;
  for (const auto& spec : next) {
    bool is_new = std::any_of(plan.added.begin(), plan.added.end(),
                              [&](const auto& s) { return s.name == spec.name; }) ||
                  std::any_of(plan.changed.begin(), plan.changed.end(),
                              [&](const auto& s) { return s.name == spec.name; });
    if (!is_new) continue;
    processes_.push_back(std::make_unique<Process>(host_, spec));
    if (stopping_all_) processes_.back()->shut_down();  // it began while this reload waited
    fresh.push_back(processes_.back().get());
  }
  sort_processes();
  for (Process* process : fresh) {
    // Refused (and left STOPPED) when a shutdown began meanwhile.
    if (process->spec().program.autostart) (void)process->start();
  }
  reloading_ = false;
  notify_waiters();  // a shutdown may be waiting for this reload to end
}

std::size_t Supervisor::running_count() const {
  return static_cast<std::size_t>(
      std::count_if(processes_.begin(), processes_.end(),
                    [](const auto& p) { return p->state() == ProcessState::kRunning; }));
}

}  // namespace taskd::supervisor
