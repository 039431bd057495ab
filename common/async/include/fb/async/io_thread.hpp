// An io_context with one thread of its own, for a composition root whose own thread is taken
// (the Qt app's GUI thread) and for tests and benchmarks that run real parts in real time.
// Objects live on strand(); other threads talk to them through call(), which runs a function
// there and waits for its result.
#pragma once

#include <pthread.h>

#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fb/asio.hpp"

namespace fb {

class IoThread {
 public:
  /// Starts `threads` threads, which run the context's handlers until join(). `name`, if given,
  /// names them for `top -H`, gdb and perf (the kernel keeps 15 bytes of it).
  explicit IoThread(std::size_t threads = 1, const std::string& name = {}) : work_(io_.get_executor()) {
    for (std::size_t i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { io_.run(); });
      if (!name.empty()) pthread_setname_np(threads_.back().native_handle(), name.substr(0, 15).c_str());
    }
  }
  ~IoThread() { join(); }
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  /// The strand call() runs on.
  boost::asio::any_io_executor strand() const { return strand_; }
  /// Another strand of the same context (with several threads, it runs beside strand()).
  boost::asio::any_io_executor make_strand() { return boost::asio::make_strand(io_); }

  /// Runs `f` on the strand and returns its result. Not from the strand itself.
  template <typename F>
  auto call(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(strand_, [&task] { task(); });
    return result.get();
  }

  /// Lets the context run dry (stop what lives on it first), then joins the thread.
  void join() {
    work_.reset();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  boost::asio::io_context io_;
  boost::asio::any_io_executor strand_ = boost::asio::make_strand(io_);
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

}  // namespace fb
