// fb-bench: how fast the feedback loop is, each number beside a baseline measured in the same run
// on the same broker (Mosquitto with TLS, client certificates and the project's ACL, started by
// fb::test::Broker in a temporary directory).
//
// 1. Round trip. An in-process backend Service (real Paho, SQLite case store, deploy/rules) and an
//    in-process Agent (real Paho, SQLite outbox) for one VIN. One report at a time, timed from
//    Agent::submit() to the agent's listener events: report_sent (broker PUBACK), report_changed
//    to "acknowledged" (the backend's ack) and notification_received ("received" notification).
//    Baseline: a QoS 1 ping-pong of a payload of the same size as the encoded report: a vehicle
//    client publishes to vehicles/<VIN>/reports, an echo client with the backend certificate
//    publishes it back to vehicles/<VIN>/inbox (the Service is stopped first: one fb-backend
//    session at a time). Once through our wrapper (fb::mqtt::make_paho_client), once with raw Paho
//    C++ with TCP_NODELAY set by us as the wrapper does, and once raw without it, for contrast.
//    Also printed: how long a client takes to connect, alone and beside another one.
// 2. Ingest rate (validate + store + acknowledge). A backlog of M distinct reports from K VINs is
//    published while no backend is connected, so the broker queues it in the backend's persistent
//    session; then a Service starts and Service::stats() is polled every 2 ms until every report
//    is committed and every answer (ack + notification) is PUBACKed by the broker or refused by
//    the client (counted and printed). Nobody subscribes to the inboxes meanwhile, so the broker
//    drops the answers instead of delivering them. Baseline: the same backlog (same payloads)
//    consumed by mosquitto_sub with the backend certificate (-c -q 1 -C M), timed from fork to
//    exit, with its connect cost (median of 5 runs with -E, exit after SUBACK) subtracted.
// 3. First send after the broker is back (broker_back_bench.cpp): a report queued while the
//    broker is down, timed from the broker's restart to its PUBACK, with Agent::network_up() and
//    with the backoff alone. Baseline: the 1 s target.
// S. Past one machine (issue 12; after phase 2, or alone with --scale-only): tls_vs_plain (the
//    backlog over TLS against the broker's plain-TCP listener), two_instances (one and two
//    instances of a shared-subscription group on one PostgreSQL, a live stream), the store curve
//    (api_bench.hpp on SQLite and PostgreSQL, 10^3..10^6 cases) and the fleet curve
//    (fleet_bench.hpp, 1..1,000 connected cars); --plots DIR writes their CSV for bench/plot.sh.
// B. The agent (agent_bench.hpp): durable enqueue and its bytes on disk beside a raw sqlite3
//    loop, the outbox drain beside raw Paho publish -> PUBACK, and an fb-car process's memory and
//    idle CPU beside mosquitto_sub. Its own broker and backend; --agent-only runs it alone.
// C. The app (app_bench.hpp): fb-headunit's first frame and memory beside a minimal Qt Quick
//    window's, as processes on the offscreen platform. Only in builds with the Qt app;
//    fb-app-bench (bench/run.sh --app-only) runs it alone.
//
// Not a test: it prints numbers and fails only when something does not work at all.
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

#include "agent_bench.hpp"
#include "api_bench.hpp"
#include "app_bench.hpp"
#include "bench_support.hpp"
#include "broker.hpp"
#include "broker_back_bench.hpp"
#include "classifier_bench.hpp"
#include "fb/agent/agent.hpp"
#include "fb/async/io_thread.hpp"
#include "fb/backend/config.hpp"
#include "fb/backend/service.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/crypto.hpp"
#include "fb/common/guarded_main.hpp"
#include "fb/common/logging.hpp"
#include "fb/common/postgres.hpp"
#include "fb/common/topics.hpp"
#include "fleet_bench.hpp"
#include "in_process_backend.hpp"
#include "json_report.hpp"
#include "paths.hpp"
#include "postgres.hpp"
#include "process.hpp"
#include "raw_ingest.hpp"

namespace fb::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kStepTimeout = 30s;    // one report, one ping, one connect
constexpr auto kPhaseTimeout = 600s;  // loading or ingesting a whole backlog
constexpr auto kStatsPoll = 2ms;

struct Options {
  int reports = 300;
  int warmup = 20;
  int backlog = 20000;
  int vins = 8;
  int no_nodelay_rounds = 100;
  std::size_t backend_inflight = 0;  // 0: the production default (backend::default_config)
  bool quick = false;
  std::string log_level = "error";  // the run prints what matters itself
  std::string json;                 // --json FILE: the measures with their baselines, as JSON
  bool classifier_only = false;     // phase 0 alone: no broker
  bool api_only = false;            // the API's phase alone: no broker
  std::size_t api_cases = 100000;   // the largest store of the API phase
  bool skip_visit_stage = false;    // the API phase without the dealers' stage entries
  bool skip_postgres = false;       // phase 2 without the ingest into PostgreSQL
  int drain_backlog = 100000;       // phase 2's backlog_100k_drain (0: left out)
  bool broker_back_only = false;    // phase 3 alone (its own broker)
  bool agent_only = false;          // the agent's phase alone (its own broker and backend)
  bool drain_only = false;          // of the agent's phase, the drain and its baselines alone
  std::string car_command;          // another fb-car for phase B's process measures (e.g. under qemu)
  std::string car_label = "alt";    // suffix of their JSON names with --car-command
  int app_runs = 5;                 // runs of each program in the app's phase
  bool scale_only = false;          // phase S alone (its own broker)
  bool store_curve_only = false;    // phase S's store curve alone (no broker)
  std::vector<std::size_t> fleet_cars{1, 10, 100, 1000};  // phase S's fleet curve (empty: left out)
  std::size_t fleet_reports = 2000;                       // per point of the curve
  std::string plots;                                      // --plots DIR: the curves' CSV files (bench/plot.sh)
  std::size_t store_cases = 1000000;                      // phase S's store curve: its largest store (0: skip)
};

// ---- The rig: PKI and broker in a temporary directory -----------------------------------------

std::string vin_for(int fleet, int index) { return fmt::format("LSVBENCH5K{}{:06d}", fleet, index); }

struct Rig {
  explicit Rig(const Options& o) : car_vin(vin_for(0, 1)) {
    // The broker drops privileges to "mosquitto" when run as root: it must reach its run dir.
    std::filesystem::permissions(dir.path(), std::filesystem::perms::others_exec, std::filesystem::perm_options::add);
    for (int i = 0; i < o.vins; ++i) fleet_vins.push_back(vin_for(1, i + 1));
    auto all = fleet_vins;
    all.push_back(car_vin);
    pki = std::make_unique<test::Pki>(dir / "pki", all);
    // The plain-TCP listener serves tls_vs_plain only (phase S).
    broker = std::make_unique<test::Broker>(dir / "broker", *pki, /*plain_listener=*/true);
  }
  mqtt::ClientOptions options(const std::string& id, const mqtt::TlsFiles& tls) const {
    return test::client_options(*broker, id, tls);
  }
  double broker_cpu() const { return process_cpu_seconds(broker->process().pid()); }

  test::TempDir dir{"fbbench"};
  std::string car_vin;                  // the round-trip car
  std::vector<std::string> fleet_vins;  // the backlog's cars
  std::unique_ptr<test::Pki> pki;
  std::unique_ptr<test::Broker> broker;
};

/// CPU seconds used by this process and by the broker between construction and done().
class CpuMeter {
 public:
  explicit CpuMeter(const Rig& rig) : rig_(rig), self_(own_cpu_seconds()), broker_(rig.broker_cpu()) {}
  std::pair<double, double> done() const { return {own_cpu_seconds() - self_, rig_.broker_cpu() - broker_}; }

 private:
  const Rig& rig_;
  double self_, broker_;
};

backend::BackendConfig backend_config(const Rig& rig, const Options& o, const std::string& db) {
  auto c = backend::default_config();  // production batch, pending and MQTT bounds
  // A bench car sends hundreds of reports; merged into a few cases they would measure the merge
  // path only. Every report a case of its own is the heavier, and the common, path.
  c.grouping.merge_window_ms = 0;
  c.mqtt.server_uri = rig.broker->uri();
  c.mqtt.tls = rig.pki->backend();
  c.database = db;
  c.rules_dir = test::kRulesDir;
  if (o.backend_inflight > 0) c.mqtt.max_inflight = o.backend_inflight;
  // The backlog's raw publishers never resend, so nothing may be dropped as overload here.
  c.mqtt.max_undelivered = std::max(c.mqtt.max_undelivered, static_cast<std::size_t>(o.backlog));
  c.service.max_pending = std::max(c.service.max_pending, static_cast<std::size_t>(o.backlog));
  c.service.admission.per_vin_rate = 0;  // one simulated car drives the whole load
  return c;
}

Result<std::unique_ptr<test::InProcessBackend>> start_backend(const backend::BackendConfig& config) {
  try {
    auto service = std::make_unique<test::InProcessBackend>(config);
    if (auto r = service->start(); !r) return fail(r.error());
    return service;
  } catch (const std::runtime_error& e) {
    return fail(ConfigErrc::invalid_value, e.what());
  }
}

/// Alternates an English noise report and a Chinese driving-feel one, like a mixed fleet.
agent::Draft draft(int i) {
  agent::Draft d;
  if (i % 2) {
    d.category = wire::CATEGORY_NOISE;
    d.text = fmt::format("bench #{} dashboard rattle at low speed", i);
    d.language = "en";
  } else {
    d.category = wire::CATEGORY_DRIVING_FEEL;
    d.text = fmt::format("bench #{} 变速箱换挡顿挫", i);
    d.language = "zh-CN";
  }
  return d;
}

Result<std::string> encoded_report(const std::string& vin, int i) {
  auto env = agent::build_report(vehicle(vin), draft(i), SystemClock::instance().epoch_ms());
  if (!env) return fail(env.error());
  return codec::encode(*env);
}

/// Waits until the running backend answers: a clean-session client with the first fleet VIN's
/// certificate sends one report until its ack comes back (re-sending is idempotent by report
/// id). Needed before the first report of a run: until the backend's session exists, the
/// broker drops reports for lack of a subscriber and the car would resend only after 30 s.
Result<void> wait_until_backend_answers(const Rig& rig) {
  const auto& vin = rig.fleet_vins.front();
  auto payload = encoded_report(vin, -1);
  if (!payload) return fail(payload.error());
  const auto report_id = codec::decode(*payload)->report().report_id();
  std::promise<void> acked;
  std::once_flag once;
  auto options = rig.options(vin, rig.pki->vehicle(vin));
  options.clean_session = true;
  auto car = WrapperClient::connect(
      options, {topics::inbox(vin)},
      [&](const mqtt::Message& m) {
        auto env = codec::decode(m.payload);
        if (env && env->has_ack() && env->ack().report_id() == report_id) {
          std::call_once(once, [&] { acked.set_value(); });
        }
      },
      kStepTimeout);
  if (!car) return fail(car.error());
  auto future = acked.get_future();
  for (int attempt = 0; attempt < 30; ++attempt) {
    (*car)->publish(topics::reports(vin), *payload, nullptr);
    if (future.wait_for(1s) == std::future_status::ready) return {};
  }
  return fail(MqttErrc::not_connected, "the backend did not acknowledge a probe report within 30 s");
}

// ---- Phase 1a: the round trip through Agent and Service ---------------------------------------

/// Records when each report reaches each stage. Listener calls come on the agent thread.
class StageRecorder final : public agent::AgentListener {
 public:
  struct Stages {
    std::optional<TimePoint> sent, acknowledged, notified;
    bool rejected = false;
  };

  void report_sent(const std::string& id) override {
    update(id, [](Stages& s) { s.sent = s.sent.value_or(Clock::now()); });
  }
  void report_changed(const agent::ReportView& r) override {
    if (r.status == ReportStatus::queued) return;
    update(r.report_id, [&](Stages& s) {
      if (r.status == ReportStatus::rejected) s.rejected = true;
      else s.acknowledged = s.acknowledged.value_or(Clock::now());
    });
  }
  void notification_received(const agent::InboxEntry& n) override {
    update(n.report_id, [](Stages& s) { s.notified = s.notified.value_or(Clock::now()); });
  }

  /// The stages of `id` once its notification (or a rejection) arrived; nullopt on timeout.
  std::optional<Stages> wait_done(const std::string& id, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return stages_[id].notified || stages_[id].rejected; })) return std::nullopt;
    return stages_[id];
  }

 private:
  template <typename F>
  void update(const std::string& id, F f) {
    {
      std::lock_guard lock(mu_);
      f(stages_[id]);
    }
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Stages> stages_;
};

struct RoundTrip {
  Samples to_puback, to_ack, to_notification;
  std::size_t payload_bytes = 0;  // mean encoded report size
  double cpu_self = 0, cpu_broker = 0;
  Duration wall{};
};

Result<RoundTrip> measure_round_trip(const Rig& rig, const Options& o) {
  RoundTrip result;
  StageRecorder recorder;  // outlives the agent that calls it
  IoThread car_io;         // the car's strand; joined after the car is stopped
  std::unique_ptr<agent::Agent> car;
  std::unique_ptr<test::InProcessBackend> service;  // declared after the car: stopped first

  auto started = start_backend(backend_config(rig, o, rig.dir / "round-trip-cases.db"));
  if (!started) return fail(started.error());
  service = std::move(*started);
  if (auto r = wait_until_backend_answers(rig); !r) return fail(r.error());

  agent::AgentConfig config;
  config.vehicle = vehicle(rig.car_vin);
  config.database = rig.dir / "car.db";
  config.mqtt = rig.options(rig.car_vin, rig.pki->vehicle(rig.car_vin));
  auto& clock = SystemClock::instance();
  auto opened = agent::Agent::open(car_io.strand(), clock, config,
                                   mqtt::make_paho_client(car_io.strand(), clock, config.mqtt));
  if (!opened) return fail(opened.error());
  car = std::move(*opened);
  car->add_listener(&recorder);
  if (auto r = car_io.call([&] { return car->start(); }); !r) return fail(r.error());

  std::size_t bytes = 0;
  const CpuMeter cpu(rig);
  const auto phase_start = Clock::now();
  for (int i = 0; i < o.warmup + o.reports; ++i) {
    auto payload = encoded_report(rig.car_vin, i);
    if (!payload) return fail(payload.error());
    std::promise<Result<std::string>> saved;
    const auto t0 = Clock::now();
    car->submit(draft(i), [&saved](Result<std::string> id) { saved.set_value(std::move(id)); });
    auto id = saved.get_future().get();
    if (!id) return fail(id.error());
    auto stages = recorder.wait_done(*id, kStepTimeout);
    if (!stages) return fail(MqttErrc::not_connected, "no notification for report " + *id + " within 30 s");
    if (stages->rejected) return fail(WireErrc::invalid_field, "the backend rejected report " + *id);
    if (i < o.warmup) continue;  // the first ones include connecting and cold caches
    bytes += payload->size();
    if (stages->sent) result.to_puback.add(*stages->sent - t0);
    if (stages->acknowledged) result.to_ack.add(*stages->acknowledged - t0);
    result.to_notification.add(*stages->notified - t0);
  }
  result.wall = Clock::now() - phase_start;
  std::tie(result.cpu_self, result.cpu_broker) = cpu.done();
  result.payload_bytes = bytes / static_cast<std::size_t>(std::max(o.reports, 1));
  // The backend first, so that nothing more is queued for the car.
  service->stop();
  car_io.call([&] { car->stop(); });
  car_io.join();
  return result;
}

// ---- Phase 1b: the ping-pong baselines --------------------------------------------------------

struct PingPong {
  std::string name;
  Samples round_trips;
  SocketCount nodelay;
  Duration car_connect{};   // the first client of the process to the broker
  Duration echo_connect{};  // a second client while the first is connected
};

using SendFn = std::function<Result<void>(const std::string& payload)>;

/// One ping at a time: send a sequenced payload, wait until the echo of that sequence arrives.
Result<Samples> ping_pong_rounds(int warmup, int rounds, std::size_t payload_bytes, Mailbox& echoes,
                                 const SendFn& send) {
  Samples samples;
  for (int i = 0; i < warmup + rounds; ++i) {
    const auto sequence = static_cast<std::uint64_t>(i) + 1;
    const auto payload = sequenced_payload(sequence, payload_bytes);
    const auto t0 = Clock::now();
    if (auto r = send(payload); !r) return fail(r.error());
    if (!echoes.wait(sequence, kStepTimeout))
      return fail(MqttErrc::not_connected, fmt::format("ping {} not echoed", sequence));
    if (i >= warmup) samples.add(Clock::now() - t0);
  }
  return samples;
}

/// Our wrapper on both ends: the same client (and TCP_NODELAY handling) as Agent and Service.
Result<PingPong> ping_pong_wrapper(const Rig& rig, const Options& o, std::size_t payload_bytes) {
  const auto reports = topics::reports(rig.car_vin), inbox = topics::inbox(rig.car_vin);
  Mailbox echoes;
  std::atomic<std::uint64_t> failures{0};
  const auto count_failure = [&failures](const Error& e) {
    if (e.code) ++failures;
  };
  const auto t0 = Clock::now();
  auto car = WrapperClient::connect(
      rig.options(rig.car_vin, rig.pki->vehicle(rig.car_vin)), {inbox},
      [&](const mqtt::Message& m) {
        if (auto s = sequence_of(m.payload); s && m.topic == inbox) echoes.put(*s);
      },
      kStepTimeout);
  if (!car) return fail(car.error());
  const auto t1 = Clock::now();
  std::atomic<WrapperClient*> echo_client{nullptr};
  auto echo = WrapperClient::connect(
      rig.options("fb-backend", rig.pki->backend()), {std::string(topics::all_reports)},
      [&](mqtt::Message m) {
        // Receipts left in the backend's session are not pings.
        auto* c = echo_client.load();
        if (c && m.topic == reports) c->publish(inbox, std::move(m.payload), count_failure);
      },
      kStepTimeout);
  if (!echo) return fail(echo.error());
  echo_client = echo->get();

  PingPong result{"ping-pong, our wrapper", {}, tcp_nodelay_state_to(rig.broker->port()), t1 - t0, Clock::now() - t1};
  auto samples = ping_pong_rounds(o.warmup, o.reports, payload_bytes, echoes,
                                  [&](const std::string& p) -> Result<void> {
                                    (*car)->publish(reports, p, count_failure);
                                    return {};
                                  });
  echo_client = nullptr;
  if (!samples) return fail(samples.error());
  if (failures > 0)
    return fail(MqttErrc::publish_failed, fmt::format("{} ping-pong publishes failed", failures.load()));
  result.round_trips = std::move(*samples);
  return result;
}

/// Paho C++ on both ends without our wrapper. With `nodelay`, TCP_NODELAY is set on both sockets
/// after connecting (the wrapper's way); without, Nagle stays on as Paho C 1.3 leaves it.
Result<PingPong> ping_pong_raw_paho(const Rig& rig, int warmup, int rounds, std::size_t payload_bytes, bool nodelay) {
  const auto reports = topics::reports(rig.car_vin), inbox = topics::inbox(rig.car_vin);
  Mailbox echoes;
  const auto t0 = Clock::now();
  auto car = RawPahoClient::connect(rig.broker->uri(), rig.car_vin, rig.pki->vehicle(rig.car_vin), inbox,
                                    [&](const std::string& topic, const std::string& payload) {
                                      if (auto s = sequence_of(payload); s && topic == inbox) echoes.put(*s);
                                    });
  if (!car) return fail(car.error());
  const auto t1 = Clock::now();
  std::atomic<RawPahoClient*> echo_client{nullptr};
  std::atomic<std::uint64_t> failures{0};
  auto echo = RawPahoClient::connect(rig.broker->uri(), "fb-backend", rig.pki->backend(),
                                     std::string(topics::all_reports),
                                     [&](const std::string& topic, const std::string& payload) {
                                       auto* c = echo_client.load();
                                       if (c && topic == reports && !c->publish(inbox, payload)) ++failures;
                                     });
  if (!echo) return fail(echo.error());
  echo_client = echo->get();
  const auto t2 = Clock::now();
  if (nodelay) enable_tcp_nodelay_to(rig.broker->port());

  PingPong result{nodelay ? "ping-pong, raw Paho C++, TCP_NODELAY" : "ping-pong, raw Paho C++, Nagle on",
                  {},
                  tcp_nodelay_state_to(rig.broker->port()),
                  t1 - t0,
                  t2 - t1};
  auto samples = ping_pong_rounds(warmup, rounds, payload_bytes, echoes,
                                  [&](const std::string& p) { return (*car)->publish(reports, p); });
  echo_client = nullptr;
  if (!samples) return fail(samples.error());
  if (failures > 0) return fail(MqttErrc::publish_failed, fmt::format("{} echo publishes failed", failures.load()));
  result.round_trips = std::move(*samples);
  return result;
}

// ---- Phase 2: ingest rate ---------------------------------------------------------------------

struct Backlog {
  struct Message {
    std::string vin, topic, payload;
  };
  std::vector<Message> messages;
  std::size_t min_bytes = 0, max_bytes = 0, mean_bytes = 0;
};

Result<Backlog> make_backlog(const std::vector<std::string>& vins, int count) {
  Backlog b;
  b.min_bytes = SIZE_MAX;
  std::size_t total = 0;
  for (int i = 0; i < count; ++i) {
    const auto& vin = vins[static_cast<std::size_t>(i) % vins.size()];
    auto payload = encoded_report(vin, i);  // a fresh report id each
    if (!payload) return fail(payload.error());
    b.min_bytes = std::min(b.min_bytes, payload->size());
    b.max_bytes = std::max(b.max_bytes, payload->size());
    total += payload->size();
    b.messages.push_back({vin, topics::reports(vin), std::move(*payload)});
  }
  b.mean_bytes = count > 0 ? total / static_cast<std::size_t>(count) : 0;
  return b;
}

struct Load {
  Duration connect{};  // all clients, connecting at once
  Duration publish{};  // first publish to last PUBACK
};

/// Publishes the backlog QoS 1 with one clean-session wrapper client per VIN and waits for every
/// PUBACK. The backend is away, so the broker queues everything in its session.
Result<Load> load_backlog(const Rig& rig, const Backlog& backlog) {
  std::map<std::string, std::size_t> per_vin;
  for (const auto& m : backlog.messages) ++per_vin[m.vin];
  // Before the clients: stopping them on an early return completes what they still hold.
  std::mutex mu;
  std::condition_variable cv;
  std::size_t done = 0, failed = 0;
  std::map<std::string, std::unique_ptr<WrapperClient>> clients;
  const auto connect_start = Clock::now();
  for (const auto& [vin, count] : per_vin) {
    auto options = rig.options(vin, rig.pki->vehicle(vin));
    options.clean_session = true;  // publish only: nothing should be queued for these cars
    options.max_queued = count;    // above this the wrapper refuses at once
    auto c = WrapperClient::start(options, {}, nullptr);
    if (!c) return fail(c.error());
    clients.emplace(vin, std::move(*c));
  }
  for (auto& [vin, c] : clients) {
    if (auto r = c->wait_connected(kStepTimeout); !r) return fail(r.error());
  }
  const auto connected = Clock::now();
  for (const auto& m : backlog.messages) {
    clients.at(m.vin)->publish(m.topic, m.payload, [&](const Error& e) {
      std::lock_guard lock(mu);
      ++done;
      if (e.code) ++failed;
      if (done == backlog.messages.size()) cv.notify_all();
    });
  }
  std::unique_lock lock(mu);
  if (!cv.wait_for(lock, kPhaseTimeout, [&] { return done == backlog.messages.size(); })) {
    return fail(MqttErrc::publish_failed,
                fmt::format("backlog: {} of {} PUBACKed in time", done, backlog.messages.size()));
  }
  if (failed > 0) return fail(MqttErrc::publish_failed, fmt::format("backlog: {} publishes failed", failed));
  return Load{connected - connect_start, Clock::now() - connected};
}

/// Makes sure the backend's persistent session exists and subscribes to reports, so that the
/// broker queues the backlog for it: starts a Service until it answers, then stops it.
Result<void> ensure_backend_session(const Rig& rig, const Options& o) {
  auto service = start_backend(backend_config(rig, o, rig.dir / "session-probe.db"));
  if (!service) return fail(service.error());
  if (auto r = wait_until_backend_answers(rig); !r) return fail(r.error());
  (*service)->stop();
  return {};
}

struct Ingest {
  Duration to_first_message{};  // connect, first delivery
  Duration to_first_answer{};   // the first ack or notification PUBACKed: the client says connected
  std::uint64_t stored_before_first_answer = 0;
  Duration to_committed{};  // every report stored
  Duration to_answered{};   // every answer (ack, separate notification) PUBACKed by the broker, or failed
  backend::ServiceStats stats;
  double cpu_self = 0, cpu_broker = 0;
  double net_rate() const { return static_cast<double>(stats.ingest.accepted) / to_s(to_answered - to_first_message); }
  double gross_rate() const { return static_cast<double>(stats.ingest.accepted) / to_s(to_answered); }
  /// Only the reports stored once publishing works, each with both answers really sent.
  double connected_rate() const {
    return static_cast<double>(stats.ingest.accepted - stored_before_first_answer) /
           to_s(to_answered - to_first_answer);
  }
};

/// Reports the backend has decided on: stored as new cases, merged as duplicates, or rejected.
std::uint64_t reports_decided(const backend::ServiceStats& s) {
  return s.ingest.accepted + s.ingest.duplicates + s.ingest.rejected;
}

/// Whether every answer owed for the reports decided on has left the backend (PUBACKed or
/// failed): one ack per report, plus a separate notification for each new case whose car does
/// not read it in the ack; a notification re-sent by the resend timer counts once more.
bool all_answered(const backend::ServiceStats& s) {
  const auto separate = s.ingest.accepted - std::min(s.ingest.accepted, s.ingest.notifications_in_ack);
  return s.published + s.publish_failures >= reports_decided(s) + separate + s.notifications_resent;
}

/// The backend of `config` draining the backlog queued in its session into a new case store.
Result<Ingest> measure_backend_ingest(const Rig& rig, const backend::BackendConfig& config, std::size_t expected) {
  // Loading the rules and opening the store are not part of the ingest time.
  std::unique_ptr<test::InProcessBackend> created;
  try {
    created = std::make_unique<test::InProcessBackend>(config);
  } catch (const std::runtime_error& e) {
    return fail(ConfigErrc::invalid_value, e.what());
  }
  auto& service = *created;

  Ingest result;
  const CpuMeter cpu(rig);
  const auto t0 = Clock::now();
  if (auto r = service.start(); !r) return fail(r.error());
  bool first = false, answering = false, committed = false;
  for (;;) {
    const auto s = service.stats();
    const auto now = Clock::now() - t0;
    if (!first && s.received > 0) result.to_first_message = now, first = true;
    if (!answering && s.published > 0) {
      result.to_first_answer = now, answering = true;
      result.stored_before_first_answer = s.ingest.accepted;
    }
    if (!committed && reports_decided(s) >= expected) result.to_committed = now, committed = true;
    if (committed && all_answered(s)) {
      result.to_answered = now;
      result.stats = s;
      break;
    }
    if (now > kPhaseTimeout) {
      return fail(MqttErrc::not_connected, fmt::format("ingest: {} of {} stored, {} published after {} s",
                                                       s.ingest.accepted, expected, s.published, to_s(now)));
    }
    std::this_thread::sleep_for(kStatsPoll);
  }
  std::tie(result.cpu_self, result.cpu_broker) = cpu.done();
  service.stop();
  if (result.stats.ingest.accepted != expected) {
    return fail(WireErrc::invalid_field,
                fmt::format("ingest: {} new cases, {} duplicates, {} rejected of {}", result.stats.ingest.accepted,
                            result.stats.ingest.duplicates, result.stats.ingest.rejected, expected));
  }
  return result;
}

struct SubBaseline {
  Duration connect_cost{};  // median fork -> exit of a run that exits after its SUBACK
  Duration total{};
  double cpu_child = 0, cpu_broker = 0;
  std::size_t messages = 0;
  double net_rate() const { return static_cast<double>(messages) / to_s(total - connect_cost); }
  double gross_rate() const { return static_cast<double>(messages) / to_s(total); }
};

/// The backend's session drained by mosquitto_sub: the broker's and TLS's share of the ingest
/// cost without any of ours. Expects the session's queue empty on entry.
Result<SubBaseline> measure_mosquitto_sub(const Rig& rig, const Backlog& backlog) {
  const auto program = find_program("mosquitto_sub");
  if (program.empty()) return fail(StorageErrc::not_found, "mosquitto_sub not found (Debian: mosquitto-clients)");
  const auto tls = rig.pki->backend();
  const std::vector<std::string> base{program,
                                      "-h",
                                      "127.0.0.1",
                                      "-p",
                                      std::to_string(rig.broker->port()),
                                      "--cafile",
                                      tls.ca_file.string(),
                                      "--cert",
                                      tls.cert_file.string(),
                                      "--key",
                                      tls.key_file.string(),
                                      "-i",
                                      "fb-backend",
                                      "-c",
                                      "-q",
                                      "1",
                                      "-t",
                                      std::string(topics::all_reports)};
  const auto log = rig.dir / "mosquitto_sub.stderr";

  SubBaseline result;
  Samples connects;
  for (int i = 0; i < 5; ++i) {
    auto argv = base;
    argv.emplace_back("-E");  // exit once subscribed
    auto run = run_child(argv, log);
    if (!run) return fail(run.error());
    if (run->exit_code != 0) return fail(MqttErrc::connect_failed, "mosquitto_sub -E: " + run->stderr_text);
    connects.add(run->wall);
  }
  result.connect_cost = std::chrono::duration_cast<Duration>(
      std::chrono::duration<double, std::milli>(connects.percentile_ms(0.5)));

  if (auto loaded = load_backlog(rig, backlog); !loaded) return fail(loaded.error());
  result.messages = backlog.messages.size();
  auto argv = base;
  argv.insert(argv.end(), {"-C", std::to_string(result.messages), "-W",
                           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kPhaseTimeout).count())});
  const CpuMeter cpu(rig);
  auto run = run_child(argv, log);
  if (!run) return fail(run.error());
  result.cpu_broker = cpu.done().second;
  if (run->exit_code != 0)
    return fail(MqttErrc::connect_failed, fmt::format("mosquitto_sub exit {}: {}", run->exit_code, run->stderr_text));
  result.total = run->wall;
  result.cpu_child = run->cpu_seconds;
  return result;
}

// ---- Printing ---------------------------------------------------------------------------------

void print_header() {
  fmt::print("  {:<44} {:>8} {:>8} {:>8} {:>8} {:>8}\n", "(ms)", "p50", "p90", "p99", "max", "mean");
}

/// Samples this slow are stalls, not latency: Paho C sometimes sits out a 1 s wait.
constexpr auto kStall = 500ms;

void print_row(const std::string& name, const Samples& s, std::string note = {}) {
  if (const auto stalls = s.count_at_least(kStall); stalls > 0) {
    note += fmt::format(" [{} of {} >= {} ms]", stalls, s.size(), kStall.count());
  }
  fmt::print("  {:<44} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f}  {}\n", name, s.percentile_ms(0.5),
             s.percentile_ms(0.9), s.percentile_ms(0.99), s.max_ms(), s.mean_ms(), note);
}

std::string nodelay_note(const SocketCount& c, int rounds) {
  return fmt::format("[n={}; TCP_NODELAY on {}/{} sockets]", rounds, c.with_nodelay, c.sockets);
}

// ---- The run ----------------------------------------------------------------------------------

int fail_with(const std::string& what, const Error& e) {
  std::cerr << "fb-bench: " << what << ": " << e.what() << "\n";
  return 1;
}

/// The API phase: the agent's queue under 32 connections as the store grows, beside /healthz;
/// then the dealers' stage entries on the largest store, beside /healthz and the queue.
int run_api_phase(const Options& o, JsonReport& report, std::optional<ApiResults>& results) {
  ApiBenchOptions a;
  const auto top = o.quick ? std::min<std::size_t>(o.api_cases, 10000) : o.api_cases;
  a.sizes = {top / 100, top / 10, top};
  a.seconds = o.quick ? 1.0 : 3.0;
  a.visit_stage = !o.skip_visit_stage;
  a.visits_per_connection = o.quick ? 6 : 40;  // entries for 0.5 s (3 s) at up to 2,300/s
  a.stage_seconds = o.quick ? 0.5 : 3.0;
  a.rules_dir = test::kRulesDir;
  test::TempDir dir;
  a.work_dir = dir.path();
  fmt::print("\nA. API: the agent's queue (own team, open states, 50 a page) under {} keep-alive connections\n",
             a.connections);
  std::cout.flush();
  auto measured = measure_api(a);
  if (!measured) return fail_with("api", measured.error());
  results = *measured;
  fmt::print("  {:>8}  {:>12} {:>9} {:>9}   {:>12} {:>9}   {:>12} {:>9} {:>9}  {:>7}\n", "cases", "list req/s",
             "p50 ms", "p99 ms", "by due req/s", "p99 ms", "/healthz", "p50 ms", "p99 ms", "ratio");
  for (const auto& m : measured->lists) {
    fmt::print("  {:>8}  {:>12.0f} {:>9.2f} {:>9.2f}   {:>12.0f} {:>9.2f}   {:>12.0f} {:>9.2f} {:>9.2f}  {:>7.3f}{}\n",
               m.cases, m.list.rate, m.list.p50_ms, m.list.p99_ms, m.list_due.rate, m.list_due.p99_ms, m.health.rate,
               m.health.p50_ms, m.health.p99_ms, m.list.rate / m.health.rate,
               m.list.errors + m.list_due.errors + m.health.errors ? "  (errors!)" : "");
    const auto suffix = "_" + std::to_string(m.cases);
    report.add("api_list" + suffix, m.list.rate, m.health.rate, "requests/s");
    report.add("api_list_due" + suffix, m.list_due.rate, m.health.rate, "requests/s");
  }
  const auto& last = measured->lists.back();
  report.add("api_list", last.list.rate, last.health.rate, "requests/s");
  report.add("api_list_p99", last.list.p99_ms, last.health.p99_ms, "ms");
  if (!measured->visit_stage) return 0;

  const auto& v = *measured->visit_stage;
  fmt::print(
      "\n  Dealer stage entries (POST /api/v1/visits/{{id}}/stages, checked_in .. handed_over) under {} keep-alive "
      "connections, {} visits booked in {:.1f} s, {} cases\n",
      a.connections, v.visits, v.booking_seconds, v.cases);
  fmt::print("  {:<28} {:>10} {:>9} {:>9} {:>7}\n", "", "req/s", "p50 ms", "p99 ms", "errors");
  fmt::print("  {:<28} {:>10.0f} {:>9.2f} {:>9.2f} {:>7}\n", "stage entries (write)", v.stages.rate, v.stages.p50_ms,
             v.stages.p99_ms, v.stages.errors);
  fmt::print("  {:<28} {:>10.0f} {:>9.2f} {:>9.2f} {:>7}\n", fmt::format("/healthz, {} cases", last.cases),
             v.health.rate, v.health.p50_ms, v.health.p99_ms, v.health.errors);
  fmt::print("  {:<28} {:>10.0f} {:>9.2f} {:>9.2f} {:>7}\n", fmt::format("agent's queue, {} cases", last.cases),
             last.list.rate, last.list.p50_ms, last.list.p99_ms, last.list.errors);
  fmt::print("  api_visit_stage: ratio to /healthz {:.3f}, to the agent's queue (api_list, the read path) {:.3f}\n",
             v.stages.rate / v.health.rate, v.stages.rate / last.list.rate);
  if (v.ran_out)
    fmt::print("  (a connection handed over all its visits before the window ended: fewer connections at the end)\n");
  if (v.stages.errors) fmt::print("  (errors! the first: {})\n", v.first_error);
  report.add("api_visit_stage", v.stages.rate, v.health.rate, "requests/s");
  report.add("api_visit_stage_p99", v.stages.p99_ms, v.health.p99_ms, "ms");
  report.add("api_visit_stage_vs_list", v.stages.rate, last.list.rate, "requests/s");
  report.add("api_visit_stage_errors", static_cast<double>(v.stages.errors), 0, "answers");
  return 0;
}

/// The agent's phase (B): the durable enqueue and its bytes on disk, the outbox drain, and an
/// fb-car process's memory and idle CPU, each beside its baseline.
/// The drain's measures, each beside its baseline, into `report`.
void add_drain_measures(JsonReport& report, const AgentResults& m) {
  report.add("drain", m.drain_rate, m.raw_puback_rate, "reports/s");
  report.add("drain_beside_backend", m.drain_rate, m.raw_puback_rate_with_backend, "reports/s");
  report.add("drain_cpu_per_report", m.drain_cpu_s_per_report * 1e6, m.raw_puback_cpu_s_per_report * 1e6,
             "CPU us/report");
  report.add("drain_cpu_ceiling", m.drain_cpu_ceiling(), m.raw_puback_rate, "reports/s");
}

int run_agent_phase(const Options& o, JsonReport& report, std::optional<AgentResults>& results) {
  AgentBenchOptions a;
  test::TempDir dir("fbbench-agent");
  a.work_dir = dir.path();
  a.rules_dir = test::kRulesDir;
  a.enqueue_seconds = o.quick ? 1.0 : 3.0;
  a.drain_reports = o.quick ? 300 : 2000;
  a.rss_seconds = o.quick ? 3.0 : 10.0;
  a.rss_drive_before_s = o.quick ? 5.0 : 60.0;
  a.rss_post_s = o.quick ? 3.0 : 30.0;
  a.idle_seconds = o.quick ? 3.0 : 10.0;
  a.drain_only = o.drain_only;
  std::istringstream words(o.car_command);
  for (std::string w; words >> w;) a.car_command.push_back(w);
  fmt::print("\nB. The agent: durable enqueue, outbox drain, fb-car memory and idle CPU\n");
  std::cout.flush();
  const auto t0 = Clock::now();
  auto m = measure_agent(a);
  if (!m) return fail_with("agent", m.error());
  const bool in_process = a.car_command.empty();
  if (in_process && !a.drain_only) {
    fmt::print(
        "  enqueue ({} B report, WAL + synchronous=FULL, {:.0f} s a side in rounds of 50):\n"
        "    Agent::submit, 50 at once {:8.0f} reports/s (p99 {:.2f} ms, n={}, {:.1f} reports a commit); raw "
        "sqlite3 INSERT {:8.0f} rows/s (p99 {:.2f} ms, n={}); ratio {:.3f}\n"
        "    CarStore::enqueue_report, one at a time {:8.0f} reports/s (p99 {:.2f} ms, n={}); ratio {:.3f}\n",
        m->report_bytes, a.enqueue_seconds, m->enqueue_rate, m->enqueue_p99_ms, m->enqueued,
        static_cast<double>(m->enqueued) / static_cast<double>(std::max<std::uint64_t>(m->enqueue_commits, 1)),
        m->raw_insert_rate, m->raw_insert_p99_ms, m->raw_inserted, m->enqueue_rate / m->raw_insert_rate,
        m->lone_enqueue_rate, m->lone_enqueue_p99_ms, m->lone_enqueued, m->lone_enqueue_rate / m->raw_insert_rate);
    fmt::print(
        "    written to disk (/proc/self/io write_bytes, WAL + checkpoints + the checkpoint at close): {:.0f} B per "
        "report in bursts, {:.0f} B one at a time; raw {:.0f} B per row; ratio {:.2f} ({:.2f})\n",
        m->disk_bytes_per_report, m->lone_disk_bytes_per_report, m->raw_disk_bytes_per_row,
        m->disk_bytes_per_report / m->raw_disk_bytes_per_row,
        m->lone_disk_bytes_per_report / m->raw_disk_bytes_per_row);
    fmt::print(
        "    the raw table given the same reports 50 a transaction (the floor of an SQLite queue): {:.0f} B per row "
        "in WAL (car store's ratio {:.2f}), {:.0f} B in rollback-journal mode (ratio to WAL {:.2f})\n",
        m->raw_batch_disk_bytes_per_row, m->disk_bytes_per_report / m->raw_batch_disk_bytes_per_row,
        m->raw_journal_batch_disk_bytes_per_row,
        m->raw_journal_batch_disk_bytes_per_row / m->raw_batch_disk_bytes_per_row);
    fmt::print(
        "  ack_apply: {} acks, {} a commit, each carrying the case's first notification: CarStore::apply_acks "
        "{:.0f} acks/s ({:.1f} us each); raw sqlite3 DELETE of as many rows {:.0f}/s; ratio {:.3f}\n"
        "    written to disk per ack (WAL + its checkpoint): {:.0f} B; raw DELETE {:.0f} B per row; ratio {:.2f}\n"
        "  notification: a later status change of each of those cases, one a commit: CarStore::apply_notification "
        "{:.0f}/s, {:.0f} B written each; raw sqlite3 INSERT of its bytes {:.0f}/s, {:.0f} B; ratios {:.3f}, "
        "{:.2f}\n",
        a.drain_reports, m->ack_batch, m->ack_apply_rate, 1e6 / m->ack_apply_rate, m->raw_ack_delete_rate,
        m->ack_apply_rate / m->raw_ack_delete_rate, m->ack_disk_bytes, m->raw_ack_disk_bytes,
        m->ack_disk_bytes / m->raw_ack_disk_bytes, m->notification_rate, m->notification_disk_bytes,
        m->raw_notification_rate, m->raw_notification_disk_bytes, m->notification_rate / m->raw_notification_rate,
        m->notification_disk_bytes / m->raw_notification_disk_bytes);
    fmt::print(
        "    the next change of each, {} a commit as they come after a reconnect: CarStore::apply_notifications "
        "{:.0f}/s, {:.0f} B written each; raw sqlite3 INSERT {} a commit {:.0f}/s, {:.0f} B; ratios {:.3f}, {:.2f}\n",
        m->notification_batch, m->grouped_notification_rate, m->grouped_notification_disk_bytes, m->notification_batch,
        m->raw_grouped_notification_rate, m->raw_grouped_notification_disk_bytes,
        m->grouped_notification_rate / m->raw_grouped_notification_rate,
        m->grouped_notification_disk_bytes / m->raw_grouped_notification_disk_bytes);
  }
  if (in_process) {
    fmt::print(
        "  drain: {} reports queued offline, agent started with the backend up; link up after {:.2f} s; until the "
        "last backend ack {:.0f} reports/s (window {}); until the broker's last PUBACK {:.0f} reports/s\n"
        "    raw Paho C++ publish -> PUBACK of as many reports, window {}, TCP_NODELAY: {:.0f} reports/s; ratio "
        "{:.3f} (to the last PUBACK: {:.3f})\n"
        "    the same beside the backend, which takes and answers them: {:.0f} reports/s; ratio {:.3f} (to the last "
        "PUBACK: {:.3f})\n",
        a.drain_reports, m->drain_connect_s, m->drain_rate, m->drain_window, m->drain_published_rate, m->drain_window,
        m->raw_puback_rate, m->drain_rate / m->raw_puback_rate, m->drain_published_rate / m->raw_puback_rate,
        m->raw_puback_rate_with_backend, m->drain_rate / m->raw_puback_rate_with_backend,
        m->drain_published_rate / m->raw_puback_rate_with_backend);
    // What the drain costs, not how long it waits: on these cores, at that cost, no drain can go faster.
    const double ceiling = m->drain_cpu_ceiling();
    fmt::print(
        "    CPU per report (user + system, this process and the broker): the drain {:.0f} us (car, backend, "
        "their MQTT clients, and the broker's {:.0f} us), raw publish -> PUBACK {:.0f} us; ratio {:.1f}\n"
        "    at that cost {} cores drain at most {:.0f} reports/s with no wait at all: {:.3f} of the raw rate\n",
        m->drain_cpu_s_per_report * 1e6, m->drain_broker_cpu_s_per_report * 1e6, m->raw_puback_cpu_s_per_report * 1e6,
        m->drain_cpu_s_per_report / m->raw_puback_cpu_s_per_report, m->cores, ceiling, ceiling / m->raw_puback_rate);
    std::string by_thread;
    for (const auto& [name, s] : m->drain_cpu_by_thread) {
      by_thread += fmt::format("{}{} {:.0f}", by_thread.empty() ? "" : ", ", name, s * 1e6);
    }
    fmt::print("    the drain's CPU per report by thread (us): {}\n", by_thread);
  } else {
    fmt::print("  fb-car: {} (the in-process measures are left out)\n", o.car_command);
  }
  if (a.drain_only) {
    fmt::print("  phase B (the drain alone) took {:.1f} s\n", to_s(Clock::now() - t0));
    add_drain_measures(report, *m);
    results = *m;
    return 0;
  }
  fmt::print(
      "  fb-car stream --rate 10 --snapshot for {:.0f} s after {:.0f} s of driving, snapshots -60 s/+{:.0f} s of "
      "every simulated signal ({} acknowledged): peak RSS {:.1f} MiB; mosquitto_sub connected with TLS {:.1f} MiB; "
      "ratio {:.2f}\n",
      a.rss_seconds, a.rss_drive_before_s, a.rss_post_s, m->rss_reports, m->rss_mb, m->baseline_rss_mb,
      m->rss_mb / m->baseline_rss_mb);
  fmt::print(
      "  idle, connected, keepalive 30 s, {:.1f} s: fb-car listen {:.3f} CPU s; mosquitto_sub -k 30 {:.3f} CPU s\n",
      m->idle_window_s, m->idle_cpu_s, m->baseline_idle_cpu_s);
  fmt::print("  phase B took {:.1f} s\n", to_s(Clock::now() - t0));
  if (in_process) {
    report.add("enqueue", m->enqueue_rate, m->raw_insert_rate, "reports/s");
    report.add("disk_bytes_per_report", m->disk_bytes_per_report, m->raw_disk_bytes_per_row, "bytes");
    report.add("enqueue_lone", m->lone_enqueue_rate, m->raw_insert_rate, "reports/s");
    report.add("disk_bytes_per_lone_report", m->lone_disk_bytes_per_report, m->raw_disk_bytes_per_row, "bytes");
    report.add("disk_bytes_per_report_vs_raw_bursts", m->disk_bytes_per_report, m->raw_batch_disk_bytes_per_row,
               "bytes");
    report.add("disk_bytes_raw_bursts_journal_vs_wal", m->raw_journal_batch_disk_bytes_per_row,
               m->raw_batch_disk_bytes_per_row, "bytes");
    report.add("ack_apply", m->ack_apply_rate, m->raw_ack_delete_rate, "acks/s");
    report.add("ack_disk_bytes", m->ack_disk_bytes, m->raw_ack_disk_bytes, "bytes");
    report.add("notification_apply", m->notification_rate, m->raw_notification_rate, "notifications/s");
    report.add("notification_disk_bytes", m->notification_disk_bytes, m->raw_notification_disk_bytes, "bytes");
    report.add("notification_apply_grouped", m->grouped_notification_rate, m->raw_grouped_notification_rate,
               "notifications/s");
    report.add("notification_disk_bytes_grouped", m->grouped_notification_disk_bytes,
               m->raw_grouped_notification_disk_bytes, "bytes");
    add_drain_measures(report, *m);
  }
  const std::string suffix = in_process ? "" : "_" + o.car_label;
  report.add("agent_rss_mb" + suffix, m->rss_mb, m->baseline_rss_mb, "MiB");
  report.add("agent_idle_cpu_s" + suffix, m->idle_cpu_s, m->baseline_idle_cpu_s, "CPU s");
  results = *m;
  return 0;
}

#if defined(FB_BENCH_APP_BIN) && defined(FB_BENCH_MIN_WINDOW_BIN)
constexpr bool kHasApp = true;
constexpr const char* kAppBin = FB_BENCH_APP_BIN;
constexpr const char* kMinWindowBin = FB_BENCH_MIN_WINDOW_BIN;
#else
constexpr bool kHasApp = false;
constexpr const char* kAppBin = "";
constexpr const char* kMinWindowBin = "";
#endif

/// The app's phase (C): fb-headunit's first frame and RSS beside a minimal Qt Quick window's.
int run_app_phase(const Options& o, JsonReport& report, std::optional<AppBenchResults>& results) {
  fmt::print("\nC. The app: first frame and memory of fb-headunit beside a minimal Qt Quick window\n");
  if (!kHasApp) {
    fmt::print("  skipped: this build has no Qt app (FB_BUILD_QT_APP=OFF); e.g. bench/run.sh --build-dir build/dev\n");
    return 0;
  }
  std::cout.flush();
  test::TempDir dir("fbbench-app");
  AppBenchOptions a;
  a.app = kAppBin;
  a.min_window = kMinWindowBin;
  a.work_dir = dir.path();
  a.runs = o.app_runs;
  auto m = run_app_bench(a);
  if (!m) return fail_with("app", m.error());
  print_app_bench(a, *m);
  add_app_bench(report, *m);
  results = *m;
  return 0;
}

// ---- Phase S: past one machine (issue 12) ---------------------------------------------------------

/// The backend of backend_config() on the broker's plain-TCP listener, logging in by password.
backend::BackendConfig plain_backend_config(const Rig& rig, const Options& o, const std::string& db) {
  auto c = backend_config(rig, o, db);
  c.mqtt.server_uri = rig.broker->plain_uri();
  c.mqtt.tls = {};
  c.mqtt.username = "fb-backend";
  c.mqtt.password = rig.broker->plain_password();
  return c;
}

struct TlsVsPlain {
  std::vector<double> tls, plain;  // reports/s after the first message, one per round
  static double mean(const std::vector<double>& v) {
    double sum = 0;
    for (auto x : v) sum += x;
    return v.empty() ? 0 : sum / static_cast<double>(v.size());
  }
};

/// The same backlog drained by the backend over TLS and over plain TCP, alternately, `rounds`
/// times each, each into a new store. Needs the backend's session (ensure_backend_session).
Result<TlsVsPlain> measure_tls_vs_plain(const Rig& rig, const Options& o, const Backlog& backlog, int rounds) {
  TlsVsPlain out;
  for (int round = 0; round < rounds; ++round) {
    for (const bool tls : {true, false}) {
      if (auto r = load_backlog(rig, backlog); !r) return fail(r.error());
      const auto db = (rig.dir / fmt::format("{}-{}.db", tls ? "tls" : "plain", round));
      auto m = measure_backend_ingest(rig, tls ? backend_config(rig, o, db) : plain_backend_config(rig, o, db),
                                      backlog.messages.size());
      if (!m) return fail(m.error());
      (tls ? out.tls : out.plain).push_back(m->net_rate());
    }
  }
  return out;
}

/// Instance `name` of the shared-subscription group "bench" on the PostgreSQL store `conninfo`.
Result<backend::BackendConfig> instance_config(const Rig& rig, const Options& o, const std::string& name,
                                               const std::string& conninfo) {
  auto c = backend_config(rig, o, rig.dir / "unused.db");
  c.postgres = conninfo;
  c.service.instance = name;
  c.service.shared_group = "bench";
  if (name != "fb-backend") c.mqtt.tls = mqtt::tls_files_in(std::filesystem::path(rig.pki->dir()) / "backends" / name);
  if (auto r = backend::settle_instance(c); !r) return fail(r.error());
  return c;
}

backend::ServiceStats total_stats(const std::vector<std::unique_ptr<test::InProcessBackend>>& backends) {
  backend::ServiceStats t;
  for (const auto& b : backends) {
    const auto s = b->stats();
    t.received += s.received;
    t.published += s.published;
    t.publish_failures += s.publish_failures;
    t.notifications_resent += s.notifications_resent;
    t.ingest.accepted += s.ingest.accepted;
    t.ingest.duplicates += s.ingest.duplicates;
    t.ingest.rejected += s.ingest.rejected;
    t.ingest.notifications_in_ack += s.ingest.notifications_in_ack;
  }
  return t;
}

struct GroupIngest {
  std::size_t reports = 0;
  double seconds = 0;                  // first publish -> every report stored and answered
  double publish_seconds = 0;          // first publish -> last PUBACK: the publishers' own pace
  std::vector<std::uint64_t> handled;  // reports stored by each instance
  double rate() const { return seconds > 0 ? static_cast<double>(reports) / seconds : 0; }
};

/// The instances `names` of one shared-subscription group on one PostgreSQL store take a live
/// stream: the backlog's cars publish it while they are connected (clean sessions: the broker
/// queues nothing for an absent group member). Timed from the first publish until every report
/// is stored and answered.
Result<GroupIngest> measure_group_ingest(const Rig& rig, const Options& o, const Backlog& backlog,
                                         const std::string& conninfo, const std::vector<std::string>& names) {
  std::vector<std::unique_ptr<test::InProcessBackend>> backends;
  for (const auto& name : names) {
    auto config = instance_config(rig, o, name, conninfo);
    if (!config) return fail(config.error());
    auto b = start_backend(*config);
    if (!b) return fail(b.error());
    backends.push_back(std::move(*b));
  }
  // Until every member has had a message, the broker may not know them all: probe reports from a
  // clean-session car, a fresh id each. The car stays until every probe is stored and answered,
  // so that none is left in its client, and the window holds the backlog alone.
  {
    const auto& vin = rig.fleet_vins.front();
    auto options = rig.options(vin, rig.pki->vehicle(vin));
    options.clean_session = true;
    auto car = WrapperClient::connect(options, {}, nullptr, kStepTimeout);
    if (!car) return fail(car.error());
    const auto all_reached = [&] {
      for (const auto& b : backends) {
        if (b->stats().received == 0) return false;
      }
      return true;
    };
    int probes = 0;
    for (; !all_reached(); ++probes) {
      if (probes == 300) return fail(MqttErrc::not_connected, "a group member had no message in 30 s of probes");
      auto payload = encoded_report(vin, -1000 - probes);
      if (!payload) return fail(payload.error());
      (*car)->publish(topics::reports(vin), *payload, nullptr);
      std::this_thread::sleep_for(100ms);
    }
    const auto settled = [&] {
      const auto s = total_stats(backends);
      return reports_decided(s) >= static_cast<std::uint64_t>(probes) && all_answered(s);
    };
    for (auto t = Clock::now(); !settled(); std::this_thread::sleep_for(kStatsPoll)) {
      if (Clock::now() - t > kPhaseTimeout) return fail(MqttErrc::not_connected, "the probes were not answered");
    }
  }
  std::vector<std::uint64_t> before;
  before.reserve(backends.size());
  for (const auto& b : backends) before.push_back(b->stats().ingest.accepted);
  const auto base = reports_decided(total_stats(backends));

  GroupIngest out;
  out.reports = backlog.messages.size();
  const auto t0 = Clock::now();
  auto loading = std::async(std::launch::async, [&] { return load_backlog(rig, backlog); });
  std::optional<Load> loaded;
  for (;;) {
    const auto s = total_stats(backends);
    if (reports_decided(s) >= base + out.reports && all_answered(s)) break;
    if (!loaded && loading.wait_for(0s) == std::future_status::ready) {
      auto done = loading.get();
      if (!done) return fail(done.error());
      loaded = *done;
    }
    if (Clock::now() - t0 > kPhaseTimeout) {
      return fail(MqttErrc::not_connected,
                  fmt::format("{} instances: {} of {} stored", names.size(), reports_decided(s) - base, out.reports));
    }
    std::this_thread::sleep_for(kStatsPoll);
  }
  out.seconds = to_s(Clock::now() - t0);
  if (!loaded) {
    auto done = loading.get();
    if (!done) return fail(done.error());
    loaded = *done;
  }
  // From the first publish: the publishers' TLS connects come first in load_backlog.
  out.seconds -= to_s(loaded->connect);
  out.publish_seconds = to_s(loaded->publish);
  for (std::size_t i = 0; i < backends.size(); ++i)
    out.handled.push_back(backends[i]->stats().ingest.accepted - before[i]);
  for (auto& b : backends) b->stop();
  return out;
}

/// A schema of its own on `server` for one store, as the store tests do: a connection string.
Result<std::string> postgres_schema(const test::PostgresServer& server, const std::string& name) {
  auto admin = sql::open_postgres(server.conninfo());
  if (!admin) return fail(admin.error());
  if (auto r = admin->exec("CREATE SCHEMA " + name); !r) return fail(r.error());
  return server.conninfo() + " options='-csearch_path=" + name + "'";
}

/// A PostgreSQL server for a part of the store phase (fsync on), started; null, with a line
/// saying `what` is left out and why, under --skip-postgres or when it cannot start.
std::unique_ptr<test::PostgresServer> bench_postgres(const Options& o, std::string_view what) {
  if (o.skip_postgres) return nullptr;
  auto server = std::make_unique<test::PostgresServer>(/*durable=*/true);
  if (server->start()) return server;
  fmt::print("  ({} left out: {})\n", what, server->why());
  return nullptr;
}

/// What sealing personal data costs the store (docs/privacy.md): hotline reports, each with a
/// caller's name and number, committed into a fresh store opened without keys (the baseline) and
/// with them, on SQLite (AES-GCM in the process) and on PostgreSQL (pgcrypto on the server).
int run_sealing_cost(const Options& o, JsonReport& report) {
  test::TempDir dir("fbbench-seal");
  if (auto k = crypto::ensure_key_file(dir / "store.keys"); !k) return fail_with("key file", k.error());
  backend::BackendConfig config;
  config.key_file = dir / "store.keys";
  auto loaded = backend::load_store_keys(config);
  if (!loaded) return fail_with("key file", loaded.error());
  const auto keys = *loaded;
  const std::size_t reports = o.quick ? 1000 : 3000;
  std::unique_ptr<test::PostgresServer> server;
  for (const std::string store : {"sqlite", "postgres"}) {
    if (store == "postgres") {
      server = bench_postgres(o, "sealing on PostgreSQL");
      if (!server) continue;
    }
    double rate[2] = {0, 0};
    for (int sealed = 0; sealed < 2; ++sealed) {
      const auto name = fmt::format("seal{}", sealed);
      Result<std::unique_ptr<backend::CaseStore>> opened = fail(StorageErrc::open_failed, "not opened");
      if (store == "sqlite") {
        opened = backend::open_sqlite_case_store(dir / (name + ".db"), 0, {}, {}, sealed ? keys : nullptr);
      } else {
        auto schema = postgres_schema(*server, name);
        if (!schema) return fail_with("postgres schema", schema.error());
        opened = backend::open_postgres_case_store(*schema, {}, {}, sealed ? keys : nullptr);
      }
      if (!opened) return fail_with("sealing cost (" + store + ")", opened.error());
      auto r = measure_commit_with_contacts(**opened, test::kRulesDir, reports);
      if (!r) return fail_with("sealing cost (" + store + ")", r.error());
      rate[sealed] = *r;
    }
    fmt::print("  sealing on {}: {:.0f} reports/s with contacts sealed, {:.0f} plain ({:.2f}x), {} reports\n", store,
               rate[1], rate[0], rate[1] / rate[0], reports);
    report.add("store_sealed_commit_" + store, rate[1], rate[0], "reports/s");
  }
  return 0;
}

/// The store curve: the agents' queue over HTTP (as api_list) and the store's commit rate at
/// 10^3, 10^4, ... `o.store_cases` cases, on SQLite and on PostgreSQL (fsync on). Up to 10^4 the
/// cases come through commit_batch, beyond by copying them (ApiBenchOptions::copy_beyond).
int run_store_curve(const Options& o, JsonReport& report) {
  struct Curve {
    std::string store;
    ApiResults results;
  };
  std::vector<Curve> curves;
  for (const std::string store : {"sqlite", "postgres"}) {
    ApiBenchOptions a;
    a.sizes.clear();
    for (std::size_t size = 1000; size <= o.store_cases; size *= 10) a.sizes.push_back(size);
    a.seconds = o.quick ? 1.0 : 2.0;
    a.visit_stage = false;
    a.rules_dir = test::kRulesDir;
    a.copy_beyond = 10000;
    a.ingest_probe = o.quick ? 1000 : 2000;
    test::TempDir dir("fbbench-store");
    a.work_dir = dir.path();
    std::unique_ptr<test::PostgresServer> server;
    if (store == "postgres") {
      server = bench_postgres(o, "the store curve on PostgreSQL");
      if (!server) continue;
      auto schema = postgres_schema(*server, "store_curve");
      if (!schema) return fail_with("postgres schema", schema.error());
      a.postgres = *schema;
    }
    const auto started = Clock::now();
    auto m = measure_api(a);
    if (!m) return fail_with("store curve (" + store + ")", m.error());
    fmt::print("  store curve on {}: {:.0f} s\n", store, to_s(Clock::now() - started));
    std::cout.flush();
    curves.push_back({store, std::move(*m)});
  }
  if (curves.empty()) return 0;
  fmt::print("  {:>9} {:>9}  {:>12} {:>9} {:>9}  {:>12}  {:>12}  {:>14}  {:>12}  {:>8}\n", "store", "cases",
             "list req/s", "p50 ms", "p99 ms", "by due p99", "/healthz", "commit rep/s", "dashboard ms", "fill s");
  std::ostringstream csv;
  csv << "store,cases,list_per_s,list_p50_ms,list_p99_ms,due_p99_ms,health_per_s,commit_per_s,dashboard_ms\n";
  // The dashboard's baseline: SQLite's at the same size (for SQLite itself, its smallest store).
  const auto sqlite_dashboard_ms = [&](std::size_t cases) -> std::optional<double> {
    for (const auto& c : curves) {
      if (c.store != "sqlite") continue;
      for (const auto& m : c.results.lists)
        if (m.cases == cases) return m.dashboard_ms;
    }
    return std::nullopt;
  };
  for (const auto& c : curves) {
    const auto& first = c.results.lists.front();
    for (const auto& m : c.results.lists) {
      fmt::print("  {:>9} {:>9}  {:>12.0f} {:>9.2f} {:>9.2f}  {:>12.2f}  {:>12.0f}  {:>14.0f}  {:>12.1f}  {:>8.1f}{}\n",
                 c.store, m.cases, m.list.rate, m.list.p50_ms, m.list.p99_ms, m.list_due.p99_ms, m.health.rate,
                 m.commit_rate, m.dashboard_ms, m.fill_seconds,
                 m.list.errors + m.list_due.errors + m.health.errors ? "  (errors!)" : "");
      csv << fmt::format("{},{},{:.1f},{:.3f},{:.3f},{:.3f},{:.1f},{:.1f},{:.2f}\n", c.store, m.cases, m.list.rate,
                         m.list.p50_ms, m.list.p99_ms, m.list_due.p99_ms, m.health.rate, m.commit_rate, m.dashboard_ms);
      const auto suffix = fmt::format("_{}_{}", c.store, m.cases);
      report.add("store_list" + suffix, m.list.rate, m.health.rate, "requests/s");
      report.add("store_list_p99" + suffix, m.list.p99_ms, first.list.p99_ms, "ms");
      report.add("store_commit" + suffix, m.commit_rate, first.commit_rate, "reports/s");
      const auto dashboard_baseline = c.store == "sqlite" ? first.dashboard_ms
                                                          : sqlite_dashboard_ms(m.cases).value_or(first.dashboard_ms);
      report.add("store_dashboard_ms" + suffix, m.dashboard_ms, dashboard_baseline, "ms");
    }
  }
  if (auto r = run_sealing_cost(o, report); r != 0) return r;
  if (!o.plots.empty()) {
    std::filesystem::create_directories(o.plots);
    std::ofstream out(std::filesystem::path(o.plots) / "store.csv");
    out << csv.str();
    if (!out.flush()) return fail_with("--plots", Error(StorageErrc::io, o.plots + "/store.csv: cannot write"));
  }
  return 0;
}

/// Phase S: tls_vs_plain, two_instances, the fleet curve. Ends the backend's persistent session:
/// the group's members take fb-backend's client id with clean sessions.
int run_scale_phase(const Rig& rig, const Options& o, JsonReport& report) {
  fmt::print("\nS. Past one machine: TLS against plain TCP, two instances on PostgreSQL, 1 to {} cars\n",
             o.fleet_cars.empty() ? 0 : o.fleet_cars.back());
  std::cout.flush();
  auto backlog = make_backlog(rig.fleet_vins, o.backlog);
  if (!backlog) return fail_with("building the backlog", backlog.error());

  const int rounds = o.quick ? 1 : 2;
  auto tvp = measure_tls_vs_plain(rig, o, *backlog, rounds);
  if (!tvp) return fail_with("tls_vs_plain", tvp.error());
  const auto tls = TlsVsPlain::mean(tvp->tls), plain = TlsVsPlain::mean(tvp->plain);
  fmt::print(
      "  tls_vs_plain: the backend drains {} reports over TLS at {:.0f} reports/s, over plain TCP on the same "
      "broker at {:.0f}/s (mean of {} alternating rounds each): ratio {:.3f}\n",
      backlog->messages.size(), tls, plain, rounds, tls / plain);
  report.add("tls_vs_plain", tls, plain, "reports/s");
  std::cout.flush();

  if (!o.skip_postgres) {
    test::PostgresServer server(/*durable=*/true);
    if (!server.start()) {
      fmt::print("  (two_instances left out: {})\n", server.why());
    } else {
      const auto n = std::min<std::size_t>(backlog->messages.size(), o.quick ? 2000 : 10000);
      backlog->messages.resize(n);
      auto one_db = postgres_schema(server, "one_instance");
      auto two_db = postgres_schema(server, "two_instances");
      if (!one_db || !two_db) return fail_with("postgres schema", (!one_db ? one_db : two_db).error());
      auto one = measure_group_ingest(rig, o, *backlog, *one_db, {"fb-backend"});
      if (!one) return fail_with("one instance", one.error());
      auto two = measure_group_ingest(rig, o, *backlog, *two_db, {"fb-backend", "fb-backend-2"});
      if (!two) return fail_with("two instances", two.error());
      fmt::print(
          "  two_instances: a live stream of {} reports into one PostgreSQL (fsync on), shared subscription: one "
          "instance {:.0f} reports/s, two {:.0f}/s ({} and {} reports each): ratio {:.3f}\n",
          n, one->rate(), two->rate(), two->handled[0], two->handled[1], two->rate() / one->rate());
      fmt::print("    (the publishers alone took {:.2f} s and {:.2f} s of those {:.2f} s and {:.2f} s)\n",
                 one->publish_seconds, two->publish_seconds, one->seconds, two->seconds);
      report.add("two_instances", two->rate(), one->rate(), "reports/s");
    }
  }
  std::cout.flush();

  if (o.store_cases >= 1000) {
    if (auto r = run_store_curve(o, report); r != 0) return r;
  }
  if (o.fleet_cars.empty()) return 0;
  const auto most = o.fleet_cars.back();  // sorted, without 0 (run_main)
  std::vector<std::string> vins;
  for (std::size_t i = 0; i < most; ++i) vins.push_back(vin_for(2, static_cast<int>(i + 1)));
  const auto certs_start = Clock::now();
  test::Pki fleet_pki(rig.pki->dir(), vins);  // adds their certificates beside the rig's, same CA
  fmt::print("  fleet curve: {} car certificates issued in {:.1f} s; {} reports per point\n", most,
             to_s(Clock::now() - certs_start), o.fleet_reports);
  std::cout.flush();
  FleetCurveOptions f;
  f.cars = o.fleet_cars;
  f.reports = o.fleet_reports;
  f.broker_uri = rig.broker->uri();
  f.pki_dir = rig.pki->dir();
  f.work_dir = rig.dir / "fleet";
  f.backend_bin = test::kBackendBin;
  f.rules_dir = test::kRulesDir;
  f.broker_cpu = [&rig] { return rig.broker_cpu(); };
  f.vin = [&vins](std::size_t i) { return vins.at(i); };
  f.report = [](const std::string& vin, int i) { return encoded_report(vin, i); };
  auto curve = measure_fleet_curve(f);
  if (!curve) return fail_with("fleet curve", curve.error());
  // CPU as cores busy over the timed window: backend, broker, cars (this process); 2.0 is all of
  // this machine's.
  fmt::print("  {:>6}  {:>10}  {:>12}  {:>14}  {:>14}  {:>8}  {:>24}\n", "cars", "connect s", "reports/s",
             "backend RSS MiB", "backend peak", "refused", "cores: backend/broker/cars");
  const auto& first = curve->front();
  for (const auto& p : *curve) {
    const auto busy = [&p](double cpu) { return p.seconds > 0 ? cpu / p.seconds : 0; };
    fmt::print("  {:>6}  {:>10.2f}  {:>12.0f}  {:>14.1f}  {:>14.1f}  {:>8}  {:>10.2f} /{:>5.2f} /{:>5.2f}\n", p.cars,
               p.connect_s, p.rate(), p.backend_rss_mb, p.backend_peak_mb, p.failed, busy(p.backend_cpu_s),
               busy(p.broker_cpu_s), busy(p.cars_cpu_s));
    // Baseline: the smallest fleet (one car unless --fleet-cars says otherwise).
    report.add(fmt::format("fleet_ingest_{}_cars", p.cars), p.rate(), first.rate(), "reports/s");
    report.add(fmt::format("fleet_backend_rss_{}_cars", p.cars), p.backend_rss_mb, first.backend_rss_mb, "MiB");
    // Who the point waits for: the backend's cores busy against the cars' (the load generator).
    report.add(fmt::format("fleet_backend_cores_{}_cars", p.cars), busy(p.backend_cpu_s), busy(p.cars_cpu_s), "cores");
  }
  if (!o.plots.empty()) {
    if (auto r = write_fleet_csv(o.plots, *curve); !r) return fail_with("--plots", r.error());
  }
  return 0;
}

/// Writes `report` to --json FILE when one was given; the exit code of the run.
int write_json(const Options& o, const JsonReport& report) {
  if (o.json.empty()) return 0;
  if (auto written = report.write(o.json); !written) return fail_with("--json", written.error());
  return 0;
}

int run(const Options& o) {
  fmt::print("fb-bench: round trip and ingest rate, each beside a baseline measured in the same run\n");
  std::cout.flush();

  if (o.agent_only) {
    JsonReport report;
    std::optional<AgentResults> agent;
    if (auto r = run_agent_phase(o, report, agent); r != 0) return r;
    return write_json(o, report);
  }
  // Phase 0 needs no broker: measured first, while nothing else of ours runs.
  const auto test_set = std::filesystem::path(test::kTriageDataDir) / "test.jsonl";
  auto cls = measure_classifier(test::kRulesDir, test_set, o.quick ? 0.3 : 2.0);
  if (!cls) return fail_with("classifier", cls.error());
  fmt::print("\n0. Classifier, one thread, {} reports of data/triage/test.jsonl\n", cls->texts);
  fmt::print(
      "  Classifier::classify {:.0f} reports/s; baseline: substring scan of the {} lexicon phrases {:.0f}/s; "
      "ratio {:.2f}\n",
      cls->rate, cls->phrases, cls->baseline_rate, cls->rate / cls->baseline_rate);
  JsonReport early;
  early.add("classifier_per_core", cls->rate, cls->baseline_rate, "reports/s");
  if (o.classifier_only) {
    return write_json(o, early);
  }
  if (o.broker_back_only) {
    Rig rig(o);
    fmt::print("\n3. First send after the broker is back: a report queued during a broker outage\n");
    const int rounds = broker_back_rounds(o.quick);
    auto back = measure_first_send_after_broker_back(*rig.pki, rig.dir / "broker-back", rig.car_vin, rounds,
                                                     broker_back_outage(o.quick));
    if (!back) return fail_with("first send after broker back", back.error());
    print_broker_back(*back, rounds, broker_back_outage(o.quick));
    early.add("first_send_after_broker_back_s", back->with_signal.max_ms() / 1000, kBrokerBackTargetS, "s");
    early.add("first_send_after_broker_back_without_signal_s", back->backoff_only.max_ms() / 1000,
              back->with_signal.max_ms() / 1000, "s");
    return write_json(o, early);
  }
  if (o.store_curve_only) {
    fmt::print("\nS. The store curve alone: 10^3 to {} cases\n", o.store_cases);
    if (auto r = run_store_curve(o, early); r != 0) return r;
    return write_json(o, early);
  }
  if (o.scale_only) {
    Rig rig(o);
    if (auto r = ensure_backend_session(rig, o); !r) return fail_with("backend session", r.error());
    if (auto r = run_scale_phase(rig, o, early); r != 0) return r;
    return write_json(o, early);
  }
  std::optional<ApiResults> api_results;
  if (auto api = run_api_phase(o, early, api_results); api != 0) return api;
  if (o.api_only) {
    return write_json(o, early);
  }
  // Before the round trip's broker: the enqueue measure counts this process's disk writes.
  std::optional<AgentResults> agent;
  if (auto r = run_agent_phase(o, early, agent); r != 0) return r;
  Rig rig(o);
  const auto env = describe_environment(test::kMosquitto, rig.dir.path());

  fmt::print("\nEnvironment\n");
  fmt::print("  CPU        {} ({} cores)\n", env.cpu_model, env.cores);
  fmt::print("  kernel     {}\n", env.kernel);
  fmt::print("  build      {}, {}\n", env.build_type, env.compiler);
  fmt::print("  broker     {} on 127.0.0.1:{}, TLS + client certificates + ACL (deploy/broker-config.sh)\n",
             env.mosquitto_version, rig.broker->port());
  fmt::print("  MQTT       {}\n", env.paho_version);
  fmt::print("  SQLite     {} (WAL, synchronous=FULL); fdatasync of 4 KiB in {}: p50 {:.2f} ms, p99 {:.2f} ms\n",
             env.sqlite_version, std::filesystem::temp_directory_path().string(), env.fsync_p50_ms, env.fsync_p99_ms);
  fmt::print("  sizes      N={} reports (+{} warm-up), backlog M={} over K={} VINs\n", o.reports, o.warmup, o.backlog,
             o.vins);
  std::cout.flush();

  // Phase 1
  fmt::print("\n1. Round trip: Agent::submit -> backend -> \"received\" notification, one report at a time\n");
  std::cout.flush();
  auto rt = measure_round_trip(rig, o);
  if (!rt) return fail_with("round trip", rt.error());
  auto wrapper = ping_pong_wrapper(rig, o, rt->payload_bytes);
  if (!wrapper) return fail_with("ping-pong (wrapper)", wrapper.error());
  auto raw = ping_pong_raw_paho(rig, o.warmup, o.reports, rt->payload_bytes, true);
  if (!raw) return fail_with("ping-pong (raw Paho)", raw.error());
  const int nagle_rounds = std::min(o.reports, o.no_nodelay_rounds);
  auto nagle = ping_pong_raw_paho(rig, std::min(o.warmup, 5), nagle_rounds, rt->payload_bytes, false);
  if (!nagle) return fail_with("ping-pong (raw Paho, Nagle)", nagle.error());

  fmt::print("  report payload {} B (encoded Envelope{{Report}}); ping-pong payload the same size\n",
             rt->payload_bytes);
  print_header();
  print_row("submit -> broker PUBACK (report_sent)", rt->to_puback, fmt::format("[n={}]", o.reports));
  print_row("submit -> backend ack (\"acknowledged\")", rt->to_ack);
  print_row("submit -> notification (round trip)", rt->to_notification);
  print_row(wrapper->name, wrapper->round_trips, nodelay_note(wrapper->nodelay, o.reports));
  print_row(raw->name, raw->round_trips, nodelay_note(raw->nodelay, o.reports));
  print_row(nagle->name, nagle->round_trips, nodelay_note(nagle->nodelay, nagle_rounds));
  fmt::print(
      "  connect + subscribe, ms: wrapper {:.0f} (first client) / {:.0f} (second while the first is connected); "
      "raw Paho {:.0f} / {:.0f}\n",
      to_ms(wrapper->car_connect), to_ms(wrapper->echo_connect), to_ms(raw->car_connect), to_ms(raw->echo_connect));
  fmt::print("  round-trip phase: {:.1f} s wall; CPU {:.2f} s in fb-bench (agent + backend), {:.2f} s in mosquitto\n",
             to_s(rt->wall), rt->cpu_self, rt->cpu_broker);
  const auto ratio = [&](const Samples& base, double p) {
    return rt->to_notification.percentile_ms(p) / base.percentile_ms(p);
  };
  fmt::print("  ratio round trip / ping-pong (wrapper):  p50 {:.1f}x  p99 {:.1f}x\n", ratio(wrapper->round_trips, 0.5),
             ratio(wrapper->round_trips, 0.99));
  fmt::print("  ratio round trip / ping-pong (raw Paho): p50 {:.1f}x  p99 {:.1f}x\n", ratio(raw->round_trips, 0.5),
             ratio(raw->round_trips, 0.99));
  std::cout.flush();

  // Phase 2
  fmt::print("\n2. Ingest rate: a backlog of {} reports from {} VINs queued in the backend's session\n", o.backlog,
             o.vins);
  std::cout.flush();
  auto backlog = make_backlog(rig.fleet_vins, o.backlog);
  if (!backlog) return fail_with("building the backlog", backlog.error());
  if (auto r = ensure_backend_session(rig, o); !r) return fail_with("backend session", r.error());
  auto load = load_backlog(rig, *backlog);
  if (!load) return fail_with("loading the backlog", load.error());
  const auto expected = backlog->messages.size();
  auto ingest = measure_backend_ingest(rig, backend_config(rig, o, rig.dir / "ingest-cases.db"), expected);
  if (!ingest) return fail_with("backend ingest", ingest.error());
  auto sub = measure_mosquitto_sub(rig, *backlog);
  if (!sub) return fail_with("mosquitto_sub baseline", sub.error());
  if (auto reloaded = load_backlog(rig, *backlog); !reloaded) return fail_with("loading the backlog", reloaded.error());
  const CpuMeter raw_cpu(rig);
  auto raw_ingest = measure_raw_paho_ingest(rig.broker->uri(), rig.broker->port(), "fb-backend", rig.pki->backend(),
                                            expected, backend_config(rig, o, "unused").mqtt.max_inflight,
                                            kPhaseTimeout);
  if (!raw_ingest) return fail_with("raw Paho ingest baseline", raw_ingest.error());
  const auto [raw_cpu_self, raw_cpu_broker] = raw_cpu.done();
  // The same backlog into a PostgreSQL server on this machine (issue 12's postgres_vs_sqlite):
  // started by the bench in a temporary directory, durable as in production (fsync on).
  std::optional<Ingest> pg_ingest;
  if (!o.skip_postgres) {
    test::PostgresServer server(/*durable=*/true);
    if (!server.start()) {
      fmt::print("  (PostgreSQL ingest left out: {})\n", server.why());
    } else {
      if (auto r = load_backlog(rig, *backlog); !r) return fail_with("loading the backlog", r.error());
      auto config = backend_config(rig, o, rig.dir / "unused.db");
      config.postgres = server.conninfo();
      auto pg = measure_backend_ingest(rig, config, expected);
      if (!pg) return fail_with("backend ingest into PostgreSQL", pg.error());
      pg_ingest = *pg;
    }
  }

  // issue 12's backlog_100k_drain: a backlog as large as the broker queues for one session
  // (deploy: max_queued_messages 100000), drained by a backend that connects to it, into a new
  // store; against the time the steady rate above predicts for it.
  std::optional<Ingest> drain;
  if (o.drain_backlog > 0) {
    backlog.value().messages.clear();  // its memory, before the larger one
    auto big = make_backlog(rig.fleet_vins, o.drain_backlog);
    if (!big) return fail_with("building the drain backlog", big.error());
    if (auto r = load_backlog(rig, *big); !r) return fail_with("loading the drain backlog", r.error());
    auto d = measure_backend_ingest(rig, backend_config(rig, o, rig.dir / "drain-cases.db"), big->messages.size());
    if (!d) return fail_with("backend drain", d.error());
    drain = *d;
  }

  const auto& st = ingest->stats;
  const auto inflight = backend_config(rig, o, "unused").mqtt.max_inflight;
  fmt::print(
      "  payloads {}..{} B (mean {}); loading with {} wrapper clients (max_inflight {} each): connect {:.2f} s, "
      "publish {:.2f} s ({:.0f} msg/s into the broker)\n",
      backlog->min_bytes, backlog->max_bytes, backlog->mean_bytes, o.vins, mqtt::ClientOptions{}.max_inflight,
      to_s(load->connect), to_s(load->publish), static_cast<double>(expected) / to_s(load->publish));
  fmt::print("  backend (Service::stats() polled every {} ms; max_batch {}, publish max_inflight {}):\n",
             kStatsPoll.count(), backend::default_config().service.max_batch, inflight);
  fmt::print("    start -> first message {:8.3f} s   (TLS connect, first delivery)\n", to_s(ingest->to_first_message));
  fmt::print(
      "    start -> first answer  {:8.3f} s   (first PUBACK of an ack or notification; {} reports stored before)\n",
      to_s(ingest->to_first_answer), ingest->stored_before_first_answer);
  fmt::print("    start -> all committed {:8.3f} s\n", to_s(ingest->to_committed));
  fmt::print(
      "    start -> all answered  {:8.3f} s   ({} answers PUBACKed, {} publishes failed; {} acks carried the "
      "notification)\n",
      to_s(ingest->to_answered), st.published, st.publish_failures, st.ingest.notifications_in_ack);
  fmt::print(
      "    {} batches, mean {:.1f} reports, largest {}; {} notifications re-sent by the timer; {} dropped "
      "beyond max_pending\n",
      st.ingest.batches,
      static_cast<double>(st.received) / static_cast<double>(std::max<std::uint64_t>(st.ingest.batches, 1)),
      st.largest_batch, st.notifications_resent, st.dropped_overload);
  if (st.publish_failures > 0) {
    fmt::print(
        "    ! some answers were refused by the client: notifications come again from the timer, acks do not:\n"
        "    ! those cars resend after their ack timeout\n");
  }
  fmt::print("    CPU {:.2f} s in fb-bench (the backend), {:.2f} s in mosquitto\n", ingest->cpu_self,
             ingest->cpu_broker);
  fmt::print(
      "    rate {:.0f} reports/s after the first message ({:.0f}/s including connect); {:.0f}/s once answering\n",
      ingest->net_rate(), ingest->gross_rate(), ingest->connected_rate());
  fmt::print("  mosquitto_sub -c -q 1 -C {} (backend certificate, stdout to /dev/null):\n", sub->messages);
  fmt::print("    fork -> exit {:.3f} s; connect cost (median of 5 runs with -E) {:.3f} s\n", to_s(sub->total),
             to_s(sub->connect_cost));
  fmt::print("    CPU {:.2f} s in mosquitto_sub, {:.2f} s in mosquitto\n", sub->cpu_child, sub->cpu_broker);
  fmt::print("    rate {:.0f} messages/s without connect ({:.0f}/s including it)\n", sub->net_rate(),
             sub->gross_rate());
  fmt::print(
      "  raw Paho C++ (backend certificate, persistent session, max_inflight {}): drain + one QoS 1 answer per "
      "message to vehicles/{{vin}}/inbox\n",
      backend_config(rig, o, "unused").mqtt.max_inflight);
  fmt::print("    start -> first message {:8.3f} s; start -> all answered {:8.3f} s; {} publishes refused\n",
             to_s(raw_ingest->to_first_message), to_s(raw_ingest->to_answered), raw_ingest->publish_errors);
  fmt::print("    CPU {:.2f} s in fb-bench (the raw client), {:.2f} s in mosquitto\n", raw_cpu_self, raw_cpu_broker);
  fmt::print("    rate {:.0f} messages/s after the first message\n", raw_ingest->net_rate());
  fmt::print("  ratio backend ingest / raw Paho client: {:.3f} (after the first message)\n",
             ingest->net_rate() / raw_ingest->net_rate());
  fmt::print(
      "  ratio backend ingest / mosquitto_sub: {:.3f} (without connect), {:.3f} (including it), {:.3f} (once "
      "answering)\n",
      ingest->net_rate() / sub->net_rate(), ingest->gross_rate() / sub->gross_rate(),
      ingest->connected_rate() / sub->net_rate());
  if (pg_ingest) {
    fmt::print(
        "  the same backlog into PostgreSQL (a server of the bench's on this machine, fsync on): {:.0f} reports/s "
        "after the first message ({:.2f} s CPU in fb-bench, {:.2f} s in mosquitto)\n",
        pg_ingest->net_rate(), pg_ingest->cpu_self, pg_ingest->cpu_broker);
    fmt::print("  ratio backend ingest PostgreSQL / SQLite: {:.3f}\n", pg_ingest->net_rate() / ingest->net_rate());
  }
  if (drain) {
    const auto predicted = static_cast<double>(o.drain_backlog) / ingest->net_rate();
    fmt::print(
        "  a backlog of {} reports drained after the backend connects: {:.2f} s to the last answer ({:.2f} s to the "
        "first message, {:.0f} reports/s after it; {:.2f} s CPU in fb-bench); at the steady rate above {:.2f} s: "
        "ratio {:.3f}\n",
        o.drain_backlog, to_s(drain->to_answered), to_s(drain->to_first_message), drain->net_rate(), drain->cpu_self,
        predicted, to_s(drain->to_answered) / predicted);
  }

  if (auto r = run_scale_phase(rig, o, early); r != 0) return r;

  // Phase 3
  fmt::print("\n3. First send after the broker is back: a report queued during a broker outage\n");
  std::cout.flush();
  const int back_rounds = broker_back_rounds(o.quick);
  auto back = measure_first_send_after_broker_back(*rig.pki, rig.dir / "broker-back", rig.car_vin, back_rounds,
                                                   broker_back_outage(o.quick));
  if (!back) return fail_with("first send after broker back", back.error());
  print_broker_back(*back, back_rounds, broker_back_outage(o.quick));

  // Phase C: processes of their own, after the broker phases (nothing else of ours runs).
  JsonReport app_report;
  std::optional<AppBenchResults> app_results;
  if (auto r = run_app_phase(o, app_report, app_results); r != 0) return r;

  // Summary
  const auto row = [](const std::string& measure, const std::string& loop, const std::string& baseline,
                      const std::string& ratio) {
    fmt::print("  {:<40} {:>10}   {:<34} {:>8}\n", measure, loop, baseline, ratio);
  };
  const auto ms = [](double v) { return fmt::format("{:.2f}", v); };
  const auto times = [](double v) { return fmt::format("{:.1f}x", v); };
  fmt::print("\nSummary\n");
  row("measure", "fb", "baseline (same run)", "ratio");
  for (const auto& [p, label] : {std::pair{0.5, "p50"}, std::pair{0.99, "p99"}}) {
    for (const auto* base : {&*wrapper, &*raw}) {
      row(fmt::format("round trip {} (ms)", label), ms(rt->to_notification.percentile_ms(p)),
          fmt::format("{} {}", ms(base->round_trips.percentile_ms(p)),
                      base == &*wrapper ? "ping-pong, wrapper" : "ping-pong, raw Paho"),
          times(ratio(base->round_trips, p)));
    }
  }
  row("ingest (reports/s, without connect)", fmt::format("{:.0f}", ingest->net_rate()),
      fmt::format("{:.0f} raw Paho drain+answer (msg/s)", raw_ingest->net_rate()),
      fmt::format("{:.3f}", ingest->net_rate() / raw_ingest->net_rate()));
  row("ingest (reports/s, without connect)", fmt::format("{:.0f}", ingest->net_rate()),
      fmt::format("{:.0f} mosquitto_sub (msg/s)", sub->net_rate()),
      fmt::format("{:.3f}", ingest->net_rate() / sub->net_rate()));
  row("ingest once answering (reports/s)", fmt::format("{:.0f}", ingest->connected_rate()),
      fmt::format("{:.0f} mosquitto_sub (msg/s)", sub->net_rate()),
      fmt::format("{:.3f}", ingest->connected_rate() / sub->net_rate()));
  row("largest backend batch (reports)", fmt::format("{}", st.largest_batch),
      fmt::format("max_batch {}", backend::default_config().service.max_batch), "");
  row("answers refused (not connected)", fmt::format("{}", st.publish_failures), "0 expected", "");
  row("first send after broker back, max (s)", fmt::format("{:.3f}", back->with_signal.max_ms() / 1000),
      fmt::format("{:.1f} target", kBrokerBackTargetS),
      fmt::format("{:.3f}", back->with_signal.max_ms() / 1000 / kBrokerBackTargetS));
  row("classifier_per_core (reports/s)", fmt::format("{:.0f}", cls->rate),
      fmt::format("{:.0f} lexicon substring scan", cls->baseline_rate),
      fmt::format("{:.2f}", cls->rate / cls->baseline_rate));
  const auto& list = api_results->lists.back();
  row(fmt::format("api_list, {} cases (req/s)", list.cases), fmt::format("{:.0f}", list.list.rate),
      fmt::format("{:.0f} /healthz", list.health.rate), fmt::format("{:.3f}", list.list.rate / list.health.rate));
  if (const auto& v = api_results->visit_stage) {
    row("api_visit_stage (req/s)", fmt::format("{:.0f}", v->stages.rate),
        fmt::format("{:.0f} /healthz", v->health.rate), fmt::format("{:.3f}", v->stages.rate / v->health.rate));
    row("api_visit_stage (req/s)", fmt::format("{:.0f}", v->stages.rate),
        fmt::format("{:.0f} api_list (read path)", list.list.rate),
        fmt::format("{:.3f}", v->stages.rate / list.list.rate));
  }

  if (const auto& a = agent) {
    row("enqueue (reports/s)", fmt::format("{:.0f}", a->enqueue_rate),
        fmt::format("{:.0f} raw sqlite3 INSERT", a->raw_insert_rate),
        fmt::format("{:.3f}", a->enqueue_rate / a->raw_insert_rate));
    row("disk_bytes_per_report (B)", fmt::format("{:.0f}", a->disk_bytes_per_report),
        fmt::format("{:.0f} raw sqlite3 per row", a->raw_disk_bytes_per_row),
        fmt::format("{:.2f}", a->disk_bytes_per_report / a->raw_disk_bytes_per_row));
    row("disk_bytes_per_report (B)", fmt::format("{:.0f}", a->disk_bytes_per_report),
        fmt::format("{:.0f} raw sqlite3, 50 a commit", a->raw_batch_disk_bytes_per_row),
        fmt::format("{:.2f}", a->disk_bytes_per_report / a->raw_batch_disk_bytes_per_row));
    row("ack_apply (acks/s)", fmt::format("{:.0f}", a->ack_apply_rate),
        fmt::format("{:.0f} raw sqlite3 DELETE", a->raw_ack_delete_rate),
        fmt::format("{:.3f}", a->ack_apply_rate / a->raw_ack_delete_rate));
    row("ack_disk_bytes (B per ack)", fmt::format("{:.0f}", a->ack_disk_bytes),
        fmt::format("{:.0f} raw sqlite3 DELETE", a->raw_ack_disk_bytes),
        fmt::format("{:.2f}", a->ack_disk_bytes / a->raw_ack_disk_bytes));
    row("notification_disk_bytes (B each)", fmt::format("{:.0f}", a->notification_disk_bytes),
        fmt::format("{:.0f} raw sqlite3 INSERT", a->raw_notification_disk_bytes),
        fmt::format("{:.2f}", a->notification_disk_bytes / a->raw_notification_disk_bytes));
    row("notification_disk_bytes_grouped (B each)", fmt::format("{:.0f}", a->grouped_notification_disk_bytes),
        fmt::format("{:.0f} raw sqlite3 INSERT", a->raw_grouped_notification_disk_bytes),
        fmt::format("{:.2f}", a->grouped_notification_disk_bytes / a->raw_grouped_notification_disk_bytes));
    row("drain (reports/s)", fmt::format("{:.0f}", a->drain_rate),
        fmt::format("{:.0f} raw Paho PUBACK", a->raw_puback_rate),
        fmt::format("{:.3f}", a->drain_rate / a->raw_puback_rate));
    row("agent_rss_mb (MiB, 10 reports/s)", fmt::format("{:.1f}", a->rss_mb),
        fmt::format("{:.1f} mosquitto_sub", a->baseline_rss_mb), fmt::format("{:.2f}", a->rss_mb / a->baseline_rss_mb));
    row("agent_idle_cpu_s (CPU s)", fmt::format("{:.3f}", a->idle_cpu_s),
        fmt::format("{:.3f} mosquitto_sub", a->baseline_idle_cpu_s), "");
  }
  if (app_results) {
    const auto& m = *app_results;
    row("app_first_frame (ms)", fmt::format("{:.0f}", m.first_frame_ms),
        fmt::format("{:.0f} minimal Qt Quick window", m.baseline_first_frame_ms),
        fmt::format("{:.2f}", m.first_frame_ms / m.baseline_first_frame_ms));
    row("app_ready (ms)", fmt::format("{:.0f}", m.ready_ms),
        fmt::format("{:.0f} minimal window's first frame", m.baseline_ready_ms),
        fmt::format("{:.2f}", m.ready_ms / m.baseline_ready_ms));
    row("app_rss_mb (MiB)", fmt::format("{:.1f}", m.rss_mb),
        fmt::format("{:.1f} minimal Qt Quick window", m.baseline_rss_mb),
        fmt::format("{:.2f}", m.rss_mb / m.baseline_rss_mb));
  }

  if (o.json.empty()) return 0;
  // The same measures as the summary (plus the rate including connect), named for scripts;
  // bench/README.md lists them. Ratios are value / baseline.
  JsonReport report = early;  // the classifier and the API phase
  for (const auto& [p, label] : {std::pair{0.5, "p50"}, std::pair{0.99, "p99"}}) {
    const auto value = rt->to_notification.percentile_ms(p);
    report.add(fmt::format("roundtrip_{}", label), value, raw->round_trips.percentile_ms(p), "ms");
    report.add(fmt::format("roundtrip_{}_vs_wrapper", label), value, wrapper->round_trips.percentile_ms(p), "ms");
  }
  report.add("ingest", ingest->net_rate(), raw_ingest->net_rate(), "reports/s");
  report.add("ingest_vs_mosquitto_sub", ingest->net_rate(), sub->net_rate(), "reports/s");
  if (pg_ingest) report.add("postgres_vs_sqlite", pg_ingest->net_rate(), ingest->net_rate(), "reports/s");
  if (drain) {
    const auto name = o.drain_backlog == 100000 ? std::string("backlog_100k_drain")
                                                : fmt::format("backlog_{}_drain", o.drain_backlog);
    report.add(name, to_s(drain->to_answered), static_cast<double>(o.drain_backlog) / ingest->net_rate(), "s");
  }
  report.add("ingest_including_connect", ingest->gross_rate(), sub->gross_rate(), "reports/s");
  report.add("ingest_once_answering", ingest->connected_rate(), sub->net_rate(), "reports/s");
  report.add("largest_batch", static_cast<double>(st.largest_batch),
             static_cast<double>(backend::default_config().service.max_batch), "reports");
  report.add("answers_refused", static_cast<double>(st.publish_failures), 0, "publishes");
  report.add("first_send_after_broker_back_s", back->with_signal.max_ms() / 1000, kBrokerBackTargetS, "s");
  report.add("first_send_after_broker_back_without_signal_s", back->backoff_only.max_ms() / 1000,
             back->with_signal.max_ms() / 1000, "s");
  report.add("classifier_per_core", cls->rate, cls->baseline_rate, "reports/s");
  if (app_results) {
    add_app_bench(report, *app_results);
  }
  if (auto written = report.write(o.json); !written) return fail_with("--json", written.error());
  fmt::print("\nJSON written to {}\n", o.json);
  return 0;
}

}  // namespace
}  // namespace fb::bench

static int run_main(int argc, char** argv) {
  CLI::App app{
      "fb-bench: round trip and ingest rate of the feedback loop against a real broker, each beside a "
      "baseline measured in the same run."};
  fb::bench::Options o;
  app.add_option("--reports", o.reports, "Round-trip reports (and pings per baseline), after the warm-up")
      ->check(CLI::PositiveNumber);
  app.add_option("--warmup", o.warmup, "Reports and pings not counted, first")->check(CLI::NonNegativeNumber);
  app.add_option("--backlog", o.backlog, "Reports queued for the ingest measure")->check(CLI::PositiveNumber);
  app.add_option("--vins", o.vins, "Vehicles the backlog comes from")->check(CLI::Range(1, 999));
  app.add_option("--nagle-rounds", o.no_nodelay_rounds, "Pings for the raw Paho run without TCP_NODELAY (slow)")
      ->check(CLI::PositiveNumber);
  app.add_option("--backend-inflight", o.backend_inflight,
                 "Override the backend's publish max_inflight (default: the production value)");
  app.add_flag("--classifier-only", o.classifier_only, "Only phase 0 (the classifier; no broker)");
  app.add_flag("--api-only", o.api_only, "Only the API phase (case list under load; no broker)");
  app.add_flag("--agent-only", o.agent_only,
               "Only the agent's phase (enqueue, disk bytes, drain, fb-car RSS and idle CPU; its own broker)");
  app.add_flag("--drain-only", o.drain_only,
               "Of the agent's phase, only the drain and its raw Paho baselines (for profiling the drain)")
      ->needs(app.get_option("--agent-only"));
  app.add_option("--app-runs", o.app_runs, "Runs of each program in the app's phase (median)")
      ->check(CLI::Range(1, 100));
  app.add_flag("--skip-postgres", o.skip_postgres,
               "Phase 2 without the ingest into PostgreSQL (postgres_vs_sqlite; needs the postgresql package)");
  app.add_option("--drain-backlog", o.drain_backlog,
                 "Phase 2: reports queued for the drain measure (backlog_100k_drain; the broker queues at most "
                 "100000 for a session; 0 leaves it out)")
      ->check(CLI::Range(0, 100000));
  app.add_flag("--skip-visit-stage", o.skip_visit_stage,
               "API phase without the dealers' stage entries (api_visit_stage; it books visits first)");
  app.add_flag("--broker-back-only", o.broker_back_only,
               "Only phases 0 and 3 (first send after a broker restart, on a broker of its own)");
  app.add_option(
         "--car-command", o.car_command,
         "Phase B's fb-car process measures (memory, idle CPU) with this command instead of the build's fb-car, "
         "e.g. \"qemu-aarch64 -L / build/aarch64/head-unit/fb-car\"; the in-process measures are skipped")
      ->needs(app.get_option("--agent-only"));
  app.add_option("--car-label", o.car_label, "Suffix of the JSON names of --car-command's measures (e.g. qemu)");
  app.add_option("--api-cases", o.api_cases, "Largest store of the API phase (also 1/100 and 1/10 of it)")
      ->check(CLI::Range(100, 10000000));
  app.add_flag("--scale-only", o.scale_only,
               "Only phases 0 and S (tls_vs_plain, two_instances, the fleet curve; a broker of its own)");
  app.add_flag("--store-curve-only", o.store_curve_only,
               "Only phase S's store curve (SQLite and PostgreSQL, 10^3 .. --store-cases cases; no broker)");
  app.add_option("--fleet-cars", o.fleet_cars,
                 "Phase S: connected cars at each point of the fleet curve; the first is the baseline (0: no curve)")
      ->check(CLI::Range(0, 5000));
  app.add_option("--fleet-reports", o.fleet_reports, "Phase S: reports at each point of the fleet curve")
      ->check(CLI::Range(10, 1000000));
  app.add_option("--store-cases", o.store_cases,
                 "Phase S: the store curve's largest store (10^3 .. this, powers of ten; below 1000: skip)")
      ->check(CLI::Range(0, 10000000));
  app.add_option("--plots", o.plots, "Write the curves' data as CSV files into DIR (bench/run.sh draws them)");
  app.add_flag("--quick", o.quick, "Small numbers for a smoke run (about a minute); explicit options still win");
  app.add_option("--log-level", o.log_level, "Log level of the components (stderr)");
  app.add_option("--json", o.json, "Also write the summary's measures and baselines to FILE as JSON");
  CLI11_PARSE(app, argc, argv);
  if (o.quick) {
    if (app.count("--reports") == 0) o.reports = 30;
    if (app.count("--warmup") == 0) o.warmup = 5;
    if (app.count("--backlog") == 0) o.backlog = 2000;
    if (app.count("--vins") == 0) o.vins = 4;
    if (app.count("--nagle-rounds") == 0) o.no_nodelay_rounds = 10;
    if (app.count("--drain-backlog") == 0) o.drain_backlog = 10000;
    if (app.count("--fleet-cars") == 0) o.fleet_cars = {1, 10, 100};
    if (app.count("--fleet-reports") == 0) o.fleet_reports = 500;
    if (app.count("--store-cases") == 0) o.store_cases = 10000;
  }
  std::erase(o.fleet_cars, 0);
  std::sort(o.fleet_cars.begin(), o.fleet_cars.end());
  o.fleet_cars.erase(std::unique(o.fleet_cars.begin(), o.fleet_cars.end()), o.fleet_cars.end());
  if (o.store_curve_only && o.store_cases < 1000) {
    std::cerr << "fb-bench: --store-curve-only needs --store-cases 1000 or more\n";
    return 2;
  }
  // Checked now rather than after a run of minutes; the file itself is written at the end.
  if (const auto dir = std::filesystem::path(o.json).parent_path();
      !o.json.empty() && !dir.empty() && !std::filesystem::is_directory(dir)) {
    std::cerr << "fb-bench: --json " << o.json << ": no such directory\n";
    return 2;
  }
  // A thousand cars are a thousand sockets here and in the broker (a child: it inherits the limit).
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  if (auto r = fb::init_logging("bench", o.log_level); !r) {
    std::cerr << "fb-bench: " << r.error().what() << "\n";
    return 2;
  }
  try {
    return fb::bench::run(o);
  } catch (const std::exception& e) {  // the broker harness throws when it cannot start
    std::cerr << "fb-bench: " << e.what() << "\n";
    return 1;
  }
}

int main(int argc, char** argv) { return fb::guarded_main("fb-bench", argc, argv, run_main); }
