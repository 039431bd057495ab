#include "process.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>

namespace fb::test {

Process::Process(std::string name, std::vector<std::string> argv, bool echo) : name_(std::move(name)), echo_(echo) {
  // Everything the child needs is made before the fork: between fork and exec the child of a
  // threaded process may only make async-signal-safe calls. An allocation there can wait for
  // ever on an allocator lock another thread held at the fork; under ASan, whose allocator this
  // is, chromedriver then "did not start" (ConsoleBrowser, under load).
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  static constexpr char kExecFailed[] = "execv failed\n";
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    // Die with the test: a test killed by ctest's timeout must not leave its backends behind.
    // (Tied to the forking thread; the harness creates processes on the test's thread. The
    // kernel clears it when a child changes user, as mosquitto does when started as root.)
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Keep the test's own sockets (its MQTT clients) out of the child.
    close_range(3, ~0U, 0);
    execv(args[0], args.data());
    (void)!write(STDERR_FILENO, kExecFailed, sizeof kExecFailed - 1);
    _exit(127);
  }
  close(fds[1]);
  reader_ = std::thread([this, fd = fds[0]] { read_loop(fd); });
}

Process::~Process() {
  if (running()) kill_and_wait(SIGKILL);
  if (reader_.joinable()) reader_.join();
}

void Process::read_loop(int fd) {
  std::string partial;
  std::array<char, 4096> buf;
  for (;;) {
    const auto n = read(fd, buf.data(), buf.size());
    if (n <= 0) break;
    partial.append(buf.data(), static_cast<std::size_t>(n));
    std::size_t pos;
    while ((pos = partial.find('\n')) != std::string::npos) {
      std::string line = partial.substr(0, pos);
      partial.erase(0, pos + 1);
      if (echo_ || std::getenv("FB_TEST_ECHO")) std::cerr << "[" << name_ << "] " << line << "\n";
      std::lock_guard lock(mu_);
      lines_.push_back(std::move(line));
      cv_.notify_all();
    }
  }
  close(fd);
  std::lock_guard lock(mu_);
  if (!partial.empty()) lines_.push_back(partial);
  eof_ = true;
  cv_.notify_all();
}

bool Process::wait_for_line(const std::string& pattern, std::chrono::milliseconds timeout) {
  const std::regex re(pattern);
  std::unique_lock lock(mu_);
  std::size_t checked = 0;
  bool found = false;
  cv_.wait_for(lock, timeout, [&] {
    for (; checked < lines_.size(); ++checked) {
      if (std::regex_search(lines_[checked], re)) return found = true;
    }
    return eof_;
  });
  return found;
}

std::optional<std::string> Process::line(std::size_t index, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return index < lines_.size() || eof_; }) || index >= lines_.size()) {
    return std::nullopt;
  }
  return lines_[index];
}

std::size_t Process::count_lines(const std::string& pattern) {
  std::lock_guard counting(count_mu_);
  auto it = counts_.find(pattern);
  if (it == counts_.end()) it = counts_.emplace(pattern, Count{std::regex(pattern)}).first;  // a bad pattern throws
  auto& count = it->second;
  // Only the lines new since the last count, matched outside mu_: a test that counts in a loop
  // must not starve the reader thread (the child would block on a full pipe).
  std::vector<std::string> fresh;
  {
    std::lock_guard lock(mu_);
    fresh.assign(lines_.begin() + static_cast<std::ptrdiff_t>(count.scanned), lines_.end());
  }
  count.scanned += fresh.size();
  for (const auto& l : fresh) count.matched += std::regex_search(l, count.re) ? 1 : 0;
  return count.matched;
}

std::string Process::output() {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& l : lines_) out += l + "\n";
  return out;
}

bool Process::running() {
  if (exited_ || pid_ <= 0) return false;
  int st = 0;
  const auto r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    status_ = st;
    return false;
  }
  return true;
}

int Process::kill_and_wait(int signal) {
  if (!running()) return status_;
  ::kill(pid_, signal);
  reap();
  return status_;
}

void Process::reap() {
  if (!exited_) {
    int st = 0;
    if (waitpid(pid_, &st, 0) == pid_) {
      exited_ = true;
      status_ = st;
    }
  }
  if (reader_.joinable()) reader_.join();
}

bool Process::signal_until_exit(int signal, std::chrono::milliseconds interval, int tries) {
  bool eof = false;
  for (int i = 0; i < tries && !eof && running(); ++i) {
    ::kill(pid_, signal);
    std::unique_lock lock(mu_);
    // The pipe reaches EOF when the child exits (it is the only writer).
    eof = cv_.wait_for(lock, interval, [&] { return eof_; });
  }
  if (!eof && running()) return false;
  reap();
  return true;
}

int Process::wait_exit(std::chrono::milliseconds timeout) {
  {
    // The pipe reaches EOF when the child exits (it is the only writer).
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return eof_; })) return -1;
  }
  reap();
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (std::getenv("FB_KEEP_TEST_DIRS")) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

int run_command(const std::string& command, std::string* output) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) {
    if (output) output->append(buf.data(), n);
  }
  const int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace fb::test
