// fb::IoThread: its threads carry the name given (what `top -H`, gdb and perf show), cut to the
// kernel's 15 bytes, and call() runs on them.
#include "fb/async/io_thread.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <boost/asio/post.hpp>
#include <future>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace fb {
namespace {

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
  // Two handlers on two strands that wait for each other: each holds a thread of its own.
  std::latch both(2);
  std::mutex mu;
  std::map<std::thread::id, std::string> seen;
  std::promise<void> done_one, done_two;
  const auto meet = [&](std::promise<void>& done) {
    return [&] {
      both.arrive_and_wait();
      {
        std::lock_guard lock(mu);
        seen[std::this_thread::get_id()] = this_thread_name();
      }
      done.set_value();
    };
  };
  boost::asio::post(io.make_strand(), meet(done_one));
  boost::asio::post(io.make_strand(), meet(done_two));
  done_one.get_future().wait();
  done_two.get_future().wait();
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
