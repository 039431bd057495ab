#include "bench_support.hpp"

#include "fb/mqtt/tcp_nodelay.hpp"

#include <MQTTAsync.h>
#include <fcntl.h>
#include <mqtt/async_client.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <thread>

#include "process.hpp"

namespace fb::bench {

// ---- Samples, Mailbox, payloads -------------------------------------------------------------

double Samples::percentile_ms(double p) const {
  if (values_.empty()) return 0;
  auto sorted = values_;
  std::sort(sorted.begin(), sorted.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return to_ms(sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1]);
}

double Samples::mean_ms() const {
  if (values_.empty()) return 0;
  return to_ms(std::accumulate(values_.begin(), values_.end(), Duration{})) / static_cast<double>(values_.size());
}

std::size_t Samples::count_at_least(Duration threshold) const {
  return static_cast<std::size_t>(
      std::count_if(values_.begin(), values_.end(), [&](Duration d) { return d >= threshold; }));
}

void Mailbox::put(std::uint64_t sequence) {
  {
    std::lock_guard lock(mu_);
    arrived_.insert(sequence);
  }
  cv_.notify_all();
}

bool Mailbox::wait(std::uint64_t sequence, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return arrived_.contains(sequence); })) return false;
  arrived_.erase(sequence);
  return true;
}

std::string sequenced_payload(std::uint64_t sequence, std::size_t size) {
  std::string p(std::max<std::size_t>(size, sizeof sequence), 'x');
  std::memcpy(p.data(), &sequence, sizeof sequence);
  return p;
}

std::optional<std::uint64_t> sequence_of(const std::string& payload) {
  std::uint64_t s = 0;
  if (payload.size() < sizeof s) return std::nullopt;
  std::memcpy(&s, payload.data(), sizeof s);
  return s;
}

// ---- WrapperClient --------------------------------------------------------------------------

Result<std::unique_ptr<WrapperClient>> WrapperClient::start(const mqtt::ClientOptions& options,
                                                            const std::vector<std::string>& filters,
                                                            mqtt::Client::MessageHandler on_message) {
  std::unique_ptr<WrapperClient> self(new WrapperClient(options.client_id));
  auto* raw = self.get();
  self->client_ = mqtt::make_paho_client(self->io_.strand(), SystemClock::instance(), options);
  if (on_message) self->client_->on_message(std::move(on_message));
  self->client_->on_connection([raw](bool up, const Error&) {
    {
      std::lock_guard lock(raw->mu_);
      raw->connected_ = up;
    }
    raw->cv_.notify_all();
  });
  for (const auto& f : filters) self->client_->subscribe(f, mqtt::QoS::at_least_once);
  if (auto r = self->io_.call([raw] { return raw->client_->start(); }); !r) return fail(r.error());
  return self;
}

void WrapperClient::publish(std::string topic, std::string payload, mqtt::Sender::PublishHandler done) {
  boost::asio::dispatch(io_.strand(), [this, topic = std::move(topic), payload = std::move(payload),
                                       done = std::move(done)]() mutable {
    client_->publish(std::move(topic), std::move(payload), mqtt::QoS::at_least_once, std::move(done));
  });
}

Result<void> WrapperClient::wait_connected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return connected_; })) {
    return fail(MqttErrc::connect_failed, id_ + ": not connected after " + std::to_string(timeout.count()) + " ms");
  }
  return {};
}

Result<std::unique_ptr<WrapperClient>> WrapperClient::connect(const mqtt::ClientOptions& options,
                                                              const std::vector<std::string>& filters,
                                                              mqtt::Client::MessageHandler on_message,
                                                              std::chrono::milliseconds timeout) {
  auto self = start(options, filters, std::move(on_message));
  if (!self) return fail(self.error());
  if (auto r = (*self)->wait_connected(timeout); !r) return fail(r.error());
  return self;
}

WrapperClient::~WrapperClient() {
  io_.call([this] { client_->stop(); });
  io_.join();
}

// ---- RawPahoClient --------------------------------------------------------------------------

RawPahoClient::RawPahoClient(std::unique_ptr<::mqtt::async_client> client) : client_(std::move(client)) {}

Result<std::unique_ptr<RawPahoClient>> RawPahoClient::connect(const std::string& uri, const std::string& client_id,
                                                              const mqtt::TlsFiles& tls, const std::string& filter,
                                                              Handler on_message, int max_inflight) {
  try {
    auto paho = std::make_unique<::mqtt::async_client>(uri, client_id, nullptr);  // no persistence
    paho->set_message_callback([handler = std::move(on_message)](const ::mqtt::const_message_ptr& m) {
      if (handler) handler(m->get_topic(), m->get_payload_str());
    });
    auto ssl = ::mqtt::ssl_options_builder()
                   .trust_store(tls.ca_file.string())
                   .key_store(tls.cert_file.string())
                   .private_key(tls.key_file.string())
                   .enable_server_cert_auth(true)
                   .verify(true)
                   .finalize();
    auto options = ::mqtt::connect_options_builder()
                       .clean_session(false)
                       .keep_alive_interval(std::chrono::seconds(30))
                       .connect_timeout(std::chrono::seconds(10))
                       .ssl(std::move(ssl))
                       .finalize();
    if (max_inflight > 0) options.set_max_inflight(max_inflight);
    paho->connect(options)->wait();
    if (!filter.empty()) paho->subscribe(filter, 1)->wait();
    return std::unique_ptr<RawPahoClient>(new RawPahoClient(std::move(paho)));
  } catch (const ::mqtt::exception& e) {
    return fail(MqttErrc::connect_failed, client_id + ": " + e.what());
  }
}

RawPahoClient::~RawPahoClient() {
  try {
    if (client_->is_connected()) client_->disconnect()->wait_for(std::chrono::seconds(3));
  } catch (const ::mqtt::exception&) {
    // Leaving anyway; the broker drops the connection.
  }
}

Result<void> RawPahoClient::publish(const std::string& topic, const std::string& payload) {
  try {
    client_->publish(topic, payload.data(), payload.size(), 1, false);
  } catch (const ::mqtt::exception& e) {
    return fail(MqttErrc::publish_failed, e.what());
  }
  return {};
}

Result<void> RawPahoClient::publish_all(const std::string& topic, const std::vector<std::string>& payloads,
                                        std::size_t window) {
  try {
    std::deque<::mqtt::delivery_token_ptr> inflight;
    for (const auto& p : payloads) {
      if (inflight.size() >= window) {
        inflight.front()->wait();
        inflight.pop_front();
      }
      inflight.push_back(client_->publish(topic, p.data(), p.size(), 1, false));
    }
    for (auto& t : inflight) t->wait();
  } catch (const ::mqtt::exception& e) {
    return fail(MqttErrc::publish_failed, e.what());
  }
  return {};
}

// ---- TCP_NODELAY ----------------------------------------------------------------------------

int enable_tcp_nodelay_to(int port) { return mqtt::set_tcp_nodelay_to_peer("127.0.0.1", port); }

SocketCount tcp_nodelay_state_to(int port) {
  SocketCount c;
  mqtt::for_each_socket_to("127.0.0.1", port, [&](int fd) {
    int value = 0;
    socklen_t len = sizeof value;
    ++c.sockets;
    if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &len) == 0 && value) ++c.with_nodelay;
  });
  return c;
}

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  dirs += ":/usr/sbin:/usr/local/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const auto end = std::min(dirs.find(':', start), dirs.size());
    const auto candidate = std::filesystem::path(dirs.substr(start, end - start)) / name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return {};
}

// ---- Child processes and CPU time -----------------------------------------------------------

Result<ChildRun> run_child(const std::vector<std::string>& argv, const std::string& stderr_file) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  ChildRun run;
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) return fail(StorageErrc::io, "fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    const int err = open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(devnull, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    close_range(3, ~0U, 0);  // keep our MQTT sockets out of the child
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid)
    return fail(StorageErrc::io, "wait4: " + std::string(std::strerror(errno)));
  run.wall = std::chrono::steady_clock::now() - start;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                    static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  std::ifstream in(stderr_file);
  std::string text(4096, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  run.stderr_text = std::move(text);
  if (run.exit_code == 127) return fail(StorageErrc::io, "cannot run " + argv.front());
  return run;
}

double own_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double process_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {  // numbering as in proc(5)
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::map<std::string, double> thread_cpu_seconds() {
  std::map<std::string, double> by_name;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream comm(task.path() / "comm"), schedstat(task.path() / "schedstat");
    std::string name;
    unsigned long long on_cpu_ns = 0;
    // A thread that ends while it is read leaves empty files: it is left out.
    if (!std::getline(comm, name) || !(schedstat >> on_cpu_ns)) continue;
    by_name[name] += static_cast<double>(on_cpu_ns) / 1e9;
  }
  return by_name;
}

namespace {
double status_mib(pid_t pid, std::string_view field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field)) return std::stod(line.substr(field.size())) / 1024.0;
  }
  return 0;
}
}  // namespace

double peak_rss_mb(pid_t pid) { return status_mib(pid, "VmHWM:"); }
double rss_mb(pid_t pid) { return status_mib(pid, "VmRSS:"); }

// ---- Environment ----------------------------------------------------------------------------

namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("model name")) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The cost of one durable commit on this disk: SQLite with synchronous=FULL pays at least this.
std::pair<double, double> fsync_latency(const std::string& dir) {
  const auto file = dir + "/fsync-probe";
  const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return {0, 0};
  const std::string block(4096, 'f');
  Samples s;
  for (int i = 0; i < 50; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    if (pwrite(fd, block.data(), block.size(), static_cast<off_t>(i) * 4096) < 0 || fdatasync(fd) != 0) break;
    s.add(std::chrono::steady_clock::now() - t0);
  }
  close(fd);
  std::filesystem::remove(file);
  return {s.percentile_ms(0.5), s.percentile_ms(0.99)};
}

}  // namespace

Environment describe_environment(const std::string& mosquitto_binary, const std::string& scratch_dir) {
  Environment e;
  e.cpu_model = cpu_model();
  e.cores = std::thread::hardware_concurrency();
  utsname u{};
  if (uname(&u) == 0) e.kernel = std::string(u.sysname) + " " + u.release;
#ifdef FB_BENCH_BUILD_TYPE
  e.build_type = FB_BENCH_BUILD_TYPE;
#endif
#ifdef NDEBUG
  e.build_type += " (NDEBUG)";
#else
  e.build_type += " (assertions on)";
#endif
#ifdef __clang__
  e.compiler = std::string("Clang ") + __clang_version__;
#else
  e.compiler = std::string("GCC ") + __VERSION__;
#endif
  std::string out;
  test::run_command(mosquitto_binary + " -h", &out);
  e.mosquitto_version = first_line(out);
  e.paho_version = ::mqtt::VERSION_STR;
  for (auto* info = MQTTAsync_getVersionInfo(); info && info->name; ++info) {
    if (std::string(info->name) == "Version") e.paho_version += ", Paho C " + std::string(info->value);
  }
  e.sqlite_version = sqlite3_libversion();
  std::tie(e.fsync_p50_ms, e.fsync_p99_ms) = fsync_latency(scratch_dir);
  return e;
}

}  // namespace fb::bench
