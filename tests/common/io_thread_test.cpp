// fb::IoThread: its threads carry the name given (what `top -H`, gdb and perf show), cut to the
// kernel's 15 bytes, and call() runs on them.
#include "fb/async/io_thread.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace fb {
namespace {

using namespace std::chrono_literals;

std::string this_thread_name() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

TEST(IoThreadTest, CallRunsOnAThreadOfTheGivenName) {
  IoThread io(1, "car");
  EXPECT_EQ(io.call([] { return this_thread_name(); }), "car");
  EXPECT_NE(this_thread_name(), "car");
}

TEST(IoThreadTest, ALongNameIsCutToTheKernelsFifteenBytesOnEveryThread) {
  IoThread io(2, "backend-io-threads");
  // Two handlers on two strands that wait (boundedly) for each other: each holds a thread of its
  // own, so both threads run one. On one thread the first would wait alone and time out.
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  std::map<std::thread::id, std::string> seen;
  std::promise<bool> met_one, met_two;
  const auto meet = [&](std::promise<bool>& met) {
    return [&] {
      std::unique_lock lock(mu);
      ++arrived;
      cv.notify_all();
      const bool both = cv.wait_for(lock, 5s, [&] { return arrived == 2; });
      seen[std::this_thread::get_id()] = this_thread_name();
      met.set_value(both);
    };
  };
  boost::asio::post(io.make_strand(), meet(met_one));
  boost::asio::post(io.make_strand(), meet(met_two));
  EXPECT_TRUE(met_one.get_future().get()) << "the two handlers never ran at once";
  EXPECT_TRUE(met_two.get_future().get());
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 2u) << "both threads ran a handler";
  for (const auto& [id, name] : seen) EXPECT_EQ(name, "backend-io-thre");
}

TEST(IoThreadTest, WithoutANameItsThreadKeepsTheProcesssName) {
  const auto process_name = this_thread_name();
  IoThread io;
  EXPECT_EQ(io.call([] { return this_thread_name(); }), process_name);
}

}  // namespace
}  // namespace fb
