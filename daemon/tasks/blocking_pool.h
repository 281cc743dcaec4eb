// A small fixed pool of threads for file work that may block (setup file steps on a slow or
// hostile file system, a large recursive remove), so the io thread never waits on it. The
// threads start on first use; results come back as a completion on the caller's executor.
// Work must not touch daemon state: it gets copies and returns a value.
#pragma once

#include "common/error.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <functional>
#include <optional>
#include <utility>

namespace taskd::tasks {

class BlockingPool {
 public:
  explicit BlockingPool(std::size_t threads) : threads_(threads) {}
  ~BlockingPool() {
    if (pool_) pool_->join();  // work already running finishes; nothing outlives the pool
  }
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Runs `work` on a pool thread; an exception becomes a kInternal error value.
  template <class T>
  boost::asio::awaitable<Result<T>> run(std::function<Result<T>()> work) {
    namespace asio = boost::asio;
    if (!pool_) pool_.emplace(threads_);
    auto initiate = [this](auto handler, std::function<Result<T>()> job) {
      // Tracked, so the io_context does not run out of work while the job is away.
      auto home = asio::prefer(asio::get_associated_executor(handler),
                               asio::execution::outstanding_work.tracked);
      asio::post(*pool_, [handler = std::move(handler), job = std::move(job), home]() mutable {
        Result<T> result = call(job);
        asio::post(home, [handler = std::move(handler), result = std::move(result)]() mutable {
          std::move(handler)(std::move(result));
        });
      });
    };
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(Result<T>)>(
        std::move(initiate), asio::use_awaitable, std::move(work));
  }

 private:
  template <class T>
  static Result<T> call(const std::function<Result<T>()>& job) {
    try {
      return job();
    } catch (const std::exception& e) {
      return make_error(ErrorCode::kInternal, std::string("unexpected failure: ") + e.what());
    }
  }

  std::size_t threads_;
  std::optional<boost::asio::thread_pool> pool_;
};

}  // namespace taskd::tasks
