// An io_context with one thread of its own, for a composition root whose own thread is taken
// (the Qt app's GUI thread) and for tests and benchmarks that run real parts in real time.
// Objects live on strand(); other threads talk to them through call(), which runs a function
// there and waits for its result.
#pragma once

#include <future>
#include <optional>
#include <thread>

#include "fb/asio.hpp"

namespace fb {

class IoThread {
 public:
  /// Starts the thread, which runs every handler of the context until join().
  IoThread() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~IoThread() { join(); }
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  boost::asio::any_io_executor strand() const { return strand_; }

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
    if (thread_.joinable()) thread_.join();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::any_io_executor strand_ = boost::asio::make_strand(io_);
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace fb
