// fb::IoThread: its threads carry the name given (what `top -H`, gdb and perf show), cut to the
// kernel's 15 bytes, and call() runs on them.
#include "fb/async/io_thread.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <set>
#include <string>

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
  std::set<std::string> names;
  for (int i = 0; i < 20; ++i) names.insert(io.call([] { return this_thread_name(); }));
  EXPECT_EQ(names, std::set<std::string>{"backend-io-thre"});
}

TEST(IoThreadTest, WithoutANameItsThreadKeepsTheProcesssName) {
  const auto process_name = this_thread_name();
  IoThread io;
  EXPECT_EQ(io.call([] { return this_thread_name(); }), process_name);
}

}  // namespace
}  // namespace fb
