// A child process for integration tests: its stdout and stderr are read line by line on a
// reader thread, so a test can wait for a line that signals readiness instead of sleeping.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace fb::test {

class Process {
 public:
  /// Starts argv[0] with argv; `name` prefixes its lines when echoed to the test's stderr.
  /// The child is killed when the creating thread's process dies (PR_SET_PDEATHSIG).
  Process(std::string name, std::vector<std::string> argv, bool echo = false);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// Waits for a line matching `pattern` (anywhere since start); false on timeout or exit.
  bool wait_for_line(const std::string& pattern, std::chrono::milliseconds timeout);
  /// Line `index` (0: the first), once the child has written it; nullopt when it exits (or
  /// closes its output) first, or on timeout. Reading lines in turn follows the child event by event.
  std::optional<std::string> line(std::size_t index, std::chrono::milliseconds timeout);
  /// Counts lines matching `pattern` so far. Each call matches only the lines written since the
  /// last call with the same pattern, so polling it in a loop stays cheap.
  std::size_t count_lines(const std::string& pattern);
  std::string output();

  /// Sends a signal and waits for exit; returns the wait status (or -1).
  int kill_and_wait(int signal);
  /// Sends `signal` and waits up to `interval` for the child to exit, again and again, at most
  /// `tries` times in all (for a child that may miss one, e.g. while it starts); true once it
  /// has exited (and is reaped), false if it still runs after the last try.
  bool signal_until_exit(int signal, std::chrono::milliseconds interval, int tries);
  /// Waits for exit; returns the exit code (or -1 when killed / timeout).
  int wait_exit(std::chrono::milliseconds timeout);
  bool running();
  pid_t pid() const { return pid_; }

 private:
  void read_loop(int fd);
  /// Waits for the child (unless already reaped) and then for the reader thread.
  void reap();

  std::string name_;
  bool echo_;
  pid_t pid_ = -1;
  int status_ = -1;
  bool exited_ = false;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;  // only ever appended to
  bool eof_ = false;

  struct Count {
    std::regex re;
    std::size_t scanned = 0;  // lines_[0, scanned) matched already
    std::size_t matched = 0;
  };
  std::mutex count_mu_;  // guards counts_; taken before mu_, never inside it
  std::map<std::string, Count> counts_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

/// A temporary directory removed on destruction (unless FB_KEEP_TEST_DIRS is set).
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "fbtest");
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Runs a shell command; returns its exit code and appends its output to `output`.
int run_command(const std::string& command, std::string* output = nullptr);

}  // namespace fb::test
