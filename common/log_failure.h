// The completion handler for a coroutine that nobody awaits (co_spawn), used instead of
// asio::detached, which drops an escaping exception silently: it logs the exception, naming the
// coroutine, and then runs `on_failure` (a failing shutdown still ends the daemon that way).
#pragma once

#include "common/log.h"

#include <exception>
#include <functional>
#include <string>

namespace taskd {

class LogFailure {
 public:
  LogFailure(LogChannel channel, std::string what, std::function<void()> on_failure = {})
      : channel_(channel), what_(std::move(what)), on_failure_(std::move(on_failure)) {}

  // Takes the coroutine's result too (co_spawn passes it after the exception), and ignores it.
  template <typename... Result>
  void operator()(std::exception_ptr error, Result&&...) const {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      log(channel_).error("{} failed: {}", what_, e.what());
    } catch (...) {
      log(channel_).error("{} failed: unknown exception", what_);
    }
    if (on_failure_) on_failure_();
  }

 private:
  LogChannel channel_;
  std::string what_;
  std::function<void()> on_failure_;
};

}  // namespace taskd
