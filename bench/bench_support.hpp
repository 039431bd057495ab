// Measuring tools for fb-bench: latency samples, MQTT clients that wait until they are usable
// (our wrapper and raw Paho C++), TCP_NODELAY inspection, a timed child process, CPU time of
// processes, and the machine's description. No GoogleTest; errors are fb::Error.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fb/agent/report_builder.hpp"
#include "fb/async/io_thread.hpp"
#include "fb/common/error.hpp"
#include "fb/mqtt/client.hpp"

namespace mqtt {
class async_client;
}

namespace fb::bench {

/// The car every benchmark's agent claims to be, under `vin`.
inline agent::VehicleIdentity vehicle(const std::string& vin) { return {vin, "Aurora EV", 2026, "HU-3.2.1"}; }

using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;

inline double to_ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
inline double to_s(Duration d) { return std::chrono::duration<double>(d).count(); }

/// Latency samples and their nearest-rank percentiles. Not thread-safe.
class Samples {
 public:
  void add(Duration d) { values_.push_back(d); }
  std::size_t size() const { return values_.size(); }
  /// p in (0, 1]; 0 ms when empty.
  double percentile_ms(double p) const;
  double max_ms() const { return percentile_ms(1.0); }
  double mean_ms() const;
  std::size_t count_at_least(Duration threshold) const;

 private:
  std::vector<Duration> values_;
};

/// Sequence numbers seen by a message handler, waited for by the measuring thread.
/// put() from any thread (a Paho thread), wait() from one other.
class Mailbox {
 public:
  void put(std::uint64_t sequence);
  /// True when `sequence` arrived before the timeout; it is consumed.
  bool wait(std::uint64_t sequence, std::chrono::milliseconds timeout);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::uint64_t> arrived_;
};

/// A payload of `size` bytes (at least 8) whose first 8 bytes carry `sequence`.
std::string sequenced_payload(std::uint64_t sequence, std::size_t size);
/// The sequence in a payload made by sequenced_payload(); nullopt when shorter than 8 bytes.
std::optional<std::uint64_t> sequence_of(const std::string& payload);

/// Our wrapper (fb::mqtt::make_paho_client), started, connected and subscribed.
class WrapperClient {
 public:
  /// Subscribes `filters` (QoS 1) and starts connecting. Errors: MqttErrc from start().
  /// `on_message` runs on the client's strand (its own thread).
  static Result<std::unique_ptr<WrapperClient>> start(const mqtt::ClientOptions& options,
                                                      const std::vector<std::string>& filters,
                                                      mqtt::Client::MessageHandler on_message);
  /// Waits until the client reports connected (and subscribed). Errors: connect_failed on timeout.
  Result<void> wait_connected(std::chrono::milliseconds timeout);
  /// start() and wait_connected().
  static Result<std::unique_ptr<WrapperClient>> connect(const mqtt::ClientOptions& options,
                                                        const std::vector<std::string>& filters,
                                                        mqtt::Client::MessageHandler on_message,
                                                        std::chrono::milliseconds timeout);
  ~WrapperClient();
  /// QoS 1; from any thread (dispatched to the client's strand, inline when already there, as
  /// from a message handler). `done` runs on the strand.
  void publish(std::string topic, std::string payload, mqtt::Sender::PublishHandler done);

 private:
  explicit WrapperClient(std::string id) : id_(std::move(id)) {}
  IoThread io_;
  std::unique_ptr<mqtt::Client> client_;
  std::string id_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool connected_ = false;
};

/// Paho C++ (mqtt::async_client) used directly, without our wrapper: TLS with client
/// certificates, a persistent session, QoS 1. Message handler runs on Paho's thread.
class RawPahoClient {
 public:
  using Handler = std::function<void(const std::string& topic, const std::string& payload)>;
  /// Connects and subscribes `filter` (empty: none). Errors: MqttErrc::connect_failed /
  /// subscribe_failed with Paho's message.
  /// `max_inflight` > 0 sets Paho's bound on unacknowledged publishes (0: Paho's default).
  static Result<std::unique_ptr<RawPahoClient>> connect(const std::string& uri, const std::string& client_id,
                                                        const mqtt::TlsFiles& tls, const std::string& filter,
                                                        Handler on_message, int max_inflight = 0);
  ~RawPahoClient();
  /// QoS 1, not waited for (Paho keeps the token). Errors: MqttErrc::publish_failed.
  Result<void> publish(const std::string& topic, const std::string& payload);
  /// Publishes each payload QoS 1 to `topic`, at most `window` without PUBACK (when the window is
  /// full it waits for the oldest one), and returns once the last is PUBACKed. Errors:
  /// MqttErrc::publish_failed with Paho's message.
  Result<void> publish_all(const std::string& topic, const std::vector<std::string>& payloads, std::size_t window);

 private:
  explicit RawPahoClient(std::unique_ptr<::mqtt::async_client> client);
  std::unique_ptr<::mqtt::async_client> client_;
};

struct SocketCount {
  int sockets = 0;       // TCP sockets of this process connected to 127.0.0.1:port
  int with_nodelay = 0;  // of them, with TCP_NODELAY set
};
/// Sets TCP_NODELAY on every socket of this process connected to 127.0.0.1:port (the way our
/// wrapper does it, since Paho C 1.3 has no option for it); returns how many it set.
int enable_tcp_nodelay_to(int port);
SocketCount tcp_nodelay_state_to(int port);

/// A child process run to completion with stdout discarded and stderr kept.
struct ChildRun {
  int exit_code = -1;       // -1 when killed by a signal
  Duration wall{};          // fork to reaped
  double cpu_seconds = 0;   // user + system of the child
  std::string stderr_text;  // its stderr (first 4 KiB)
};
/// Errors: StorageErrc::io when the process cannot be started.
Result<ChildRun> run_child(const std::vector<std::string>& argv, const std::string& stderr_file);

/// The path of `name` in PATH (and /usr/sbin, /usr/local/bin); "" when not found.
std::string find_program(const std::string& name);

/// User + system CPU seconds of this process, and of another process (0 when unreadable).
double own_cpu_seconds();
double process_cpu_seconds(pid_t pid);
/// The CPU seconds each of this process's live threads has run so far (/proc/self/task/*/schedstat,
/// nanoseconds), summed by thread name (threads of the same name share an entry). A thread that
/// has ended is no longer counted: read while the threads of interest still run.
std::map<std::string, double> thread_cpu_seconds();

/// Peak (VmHWM) and current (VmRSS) resident set of a process in MiB; 0 when unreadable.
double peak_rss_mb(pid_t pid);
double rss_mb(pid_t pid);

/// What the numbers were measured on.
struct Environment {
  std::string cpu_model;
  unsigned cores = 0;
  std::string kernel;
  std::string build_type;
  std::string compiler;
  std::string mosquitto_version;
  std::string paho_version;
  std::string sqlite_version;
  double fsync_p50_ms = 0;  // 4 KiB write + fdatasync in the benchmark's temp dir
  double fsync_p99_ms = 0;
};
Environment describe_environment(const std::string& mosquitto_binary, const std::string& scratch_dir);

}  // namespace fb::bench
