// Faults injected into real processes: the fb-car agent (`fb-car stream`, a numbered stream of
// reports) killed with SIGKILL at random points and restarted on the same store, and the broker
// restarted mid-stream, with fb-backend on a real Mosquitto. Every report must reach the backend
// exactly once as a case: none lost, none twice.
//
// The test follows the car by its output lines (stream.hpp in head-unit/cli): it kills after a
// random number of them, so the kills land anywhere in queueing, sending and acknowledging.
// Sizes come from the environment; CI runs the defaults, the ctest entry labelled "long" the
// issue's full count (10,000 reports, 20 kills):
//   FB_FAULT_REPORTS (default 1000)  FB_FAULT_KILLS (5)  FB_FAULT_SEED (20261202)
//   FB_FAULT_RATE (0: reports queued as fast as the car commits them)
//   FB_FAULT_STALL_S (60: the FleetFaults loops fail after this long without progress)
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include <spdlog/fmt/fmt.h>

#include "fb/common/series_codec.hpp"
#include "harness.hpp"
#include "postgres.hpp"
#include "tcp_proxy.hpp"

namespace fb::test {
namespace {

std::size_t env_size(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? static_cast<std::size_t>(std::stoull(v)) : fallback;
}

struct Sizes {
  std::size_t reports = env_size("FB_FAULT_REPORTS", 1000);
  std::size_t kills = env_size("FB_FAULT_KILLS", 5);
  std::uint32_t seed = static_cast<std::uint32_t>(env_size("FB_FAULT_SEED", 20261202));
  std::size_t rate = env_size("FB_FAULT_RATE", 0);
};

/// The report id fb-car stream gives report `index` of the stream `seed` (derived here on its
/// own, so that a change of the car's scheme shows as reports the backend never saw).
std::string report_id(std::uint32_t seed, std::size_t index) {
  char id[40];
  std::snprintf(id, sizeof id, "%08x-0000-4000-8000-%012zx", seed, index);
  return id;
}

/// What the car's lines said so far, over all its lives.
struct Tally {
  std::size_t saved = 0;        // the stream's prefix known committed (saved 0 .. saved-1)
  std::set<std::size_t> acked;  // indices whose ack the car applied
  std::size_t in_store = 0;     // from the last "stream" line
  std::size_t store_acked = 0;  // likewise
  bool done = false;
  std::vector<std::string> errors;

  /// Reads one line; a line that means the test has failed goes to `errors`.
  void read(const std::string& line) {
    std::istringstream in(line);
    std::string word;
    in >> word;
    std::size_t a = 0, b = 0;
    if (word == "stream") {
      in >> a >> b;
      // What a killed life committed is still there: nothing is lost by a kill.
      if (a < saved) errors.push_back(line + ": the store lost saved reports (" + std::to_string(saved) + " were)");
      if (b < acked.size()) errors.push_back(line + ": the store lost acks (" + std::to_string(acked.size()) + ")");
      in_store = a, store_acked = b;
      saved = std::max(saved, a);
    } else if (word == "saved") {
      in >> a;
      if (a != saved) errors.push_back(line + ": expected saved " + std::to_string(saved));
      saved = a + 1;
    } else if (word == "acked") {
      in >> a;
      if (!acked.insert(a).second) errors.push_back(line + ": acked twice");
    } else if (word == "done") {
      done = true;
    } else if (word == "lost" || word == "rejected" || word == "not") {
      errors.push_back(line);
    }
  }
};

std::string last_lines(const std::string& output) {
  return output.size() > 2000 ? output.substr(output.size() - 2000) : output;
}

/// The last lines of a car's output that are not its stream's progress ("saved", "acked").
std::string last_events(const std::string& output) {
  std::istringstream in(output);
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("saved ") && !line.starts_with("acked ")) kept += line + "\n";
  }
  return last_lines(kept);
}

struct OneCar {
  static std::vector<std::string> vins() { return {kVinA}; }
};

class FaultInjection : public BrokerTest<OneCar> {
 protected:
  std::unique_ptr<Process> start_car(const Sizes& s) {
    return std::make_unique<Process>(
        "car", std::vector<std::string>{kCarBin, "--vin", kVinA, "--broker", broker_->uri(), "--pki", pki_->dir(),
                                        "--db", dir_ / "car.db", "stream", "--count", std::to_string(s.reports),
                                        "--rate", std::to_string(s.rate), "--id-seed", std::to_string(s.seed)});
  }

  /// Every report of the stream is one case of its own, and the backend has nothing else.
  void expect_each_report_once(const std::string& db, const Sizes& s) {
    auto store = open_cases(db);
    ASSERT_TRUE(store);
    std::set<std::string> numbers;
    std::size_t missing = 0;
    for (std::size_t i = 0; i < s.reports; ++i) {
      auto c = store->find_case_by_report(report_id(s.seed, i));
      ASSERT_TRUE(c) << c.error().what();
      if (!*c) {
        if (++missing <= 5) ADD_FAILURE() << "report " << i << " never reached the backend";
        continue;
      }
      numbers.insert((*c)->case_number);
    }
    EXPECT_EQ(missing, 0u) << "reports lost";
    EXPECT_EQ(numbers.size(), s.reports - missing) << "reports sharing a case";
    auto counts = store->counts();
    ASSERT_TRUE(counts);
    EXPECT_EQ(counts->reports, static_cast<std::int64_t>(s.reports)) << "reports stored twice or foreign ones";
    EXPECT_EQ(counts->cases, static_cast<std::int64_t>(s.reports)) << "a report made more than one case";
    EXPECT_EQ(counts->dead_letters, 0);
  }

  // Long enough for a restart with a backlog to resend; the stream is never idle for longer.
  static constexpr auto kLineTimeout = 120s;
};

TEST_F(FaultInjection, AnAgentKilledAtRandomPointsAndRestartedDeliversEveryReportExactlyOnce) {
  const Sizes s;
  std::cerr << "fault injection: " << s.reports << " reports, " << s.kills << " kills, seed " << s.seed << "\n";
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  std::mt19937_64 rng(s.seed);
  Tally tally;
  std::size_t kills = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (!tally.done) {
    auto car = start_car(s);
    std::size_t n = 0;
    auto first = car->line(n++, kLineTimeout);
    ASSERT_TRUE(first) << car->output();
    tally.read(*first);
    ASSERT_TRUE(first->starts_with("stream ")) << car->output();
    // Lines this life would print without a kill: a saved and an acked line per report left.
    const auto left = (s.reports - tally.in_store) + (s.reports - tally.store_acked);
    std::optional<std::size_t> kill_after;
    if (kills < s.kills && left > 0) {
      // Uniform in [0, 2 * left / (kills to go + 1)): the kills spread over the whole stream and
      // the last one still lands before the end.
      const auto span = std::max<std::size_t>(1, 2 * left / (s.kills - kills + 1));
      kill_after = std::uniform_int_distribution<std::size_t>(0, span - 1)(rng);
    }
    for (std::size_t read = 0; !tally.done && (!kill_after || read < *kill_after); ++read) {
      auto line = car->line(n++, kLineTimeout);
      ASSERT_TRUE(line) << "the car stopped or stalled; its last lines:\n" << last_lines(car->output());
      tally.read(*line);
    }
    ASSERT_TRUE(tally.errors.empty()) << tally.errors.front();
    if (tally.done) {
      EXPECT_EQ(car->wait_exit(kWait), 0) << car->output();
      break;
    }
    const int status = car->kill_and_wait(SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "exited by itself: " << car->output();
    ++kills;
  }
  const auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cerr << "fault injection: " << kills << " kills, " << tally.acked.size() << " acks seen, " << wall << " s\n";
  EXPECT_EQ(kills, s.kills);
  expect_each_report_once(backend.db(), s);
}

// `fb-car --snapshot stream` (the memory benchmark's load): every report waits for its post-tap
// window and reaches the backend with the simulated drive's signals around its tap.
TEST_F(FaultInjection, AStreamWithSnapshotsDeliversEachReportWithItsSignalsAroundTheTap) {
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  const std::uint32_t seed = 11;
  const std::size_t count = 5;
  Process car("car", {kCarBin,
                      "--vin",
                      kVinA,
                      "--broker",
                      broker_->uri(),
                      "--pki",
                      pki_->dir(),
                      "--db",
                      dir_ / "snapshots.db",
                      "--snapshot",
                      "--post",
                      "1",
                      "stream",
                      "--count",
                      std::to_string(count),
                      "--rate",
                      "10",
                      "--id-seed",
                      std::to_string(seed),
                      "--drive-before",
                      "2"});
  ASSERT_TRUE(car.wait_for_line("^done 5$", kLineTimeout)) << last_lines(car.output());
  EXPECT_EQ(car.wait_exit(kWait), 0) << last_lines(car.output());

  auto store = open_cases(backend.db());
  ASSERT_TRUE(store);
  for (std::size_t i = 0; i < count; ++i) {
    auto c = store->find_case_by_report(report_id(seed, i));
    ASSERT_TRUE(c && *c) << "report " << i;
    auto detail = store->case_detail((*c)->case_number);
    ASSERT_TRUE(detail && *detail && !(*detail)->reports.empty());
    wire::Envelope envelope;
    ASSERT_TRUE(envelope.ParseFromString((*detail)->reports.front().payload));
    const auto& snapshot = envelope.report().snapshot();
    EXPECT_FALSE(envelope.report().snapshot_lost());
    EXPECT_EQ(snapshot.window_start_ms(), -60'000);
    EXPECT_EQ(snapshot.window_end_ms(), 1'000);
    const wire::SignalSeries* speed = nullptr;
    for (const auto& series : snapshot.signals()) {
      if (series.path() == agent::vss::kSpeed) speed = &series;
    }
    ASSERT_NE(speed, nullptr) << "report " << i << " has " << snapshot.signals_size() << " signals";
    auto points = series::decode(*speed);
    ASSERT_TRUE(points) << points.error().what();
    ASSERT_FALSE(points->empty());
    // About 2 s of driving before the first tap (10 Hz) and the 1 s after it: both sides present.
    EXPECT_LE(points->front().t_ms, -1'500) << "report " << i;
    EXPECT_GE(points->back().t_ms, 900) << "report " << i;
    EXPECT_LE(points->back().t_ms, 1'000);
  }
}

TEST_F(FaultInjection, ABrokerRestartMidStreamLosesNothing) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // Paho C 1.3.11 frees and reads its own copy of a topic on two of its threads when the broker
  // goes away mid-publish: ASan saw a use-after-free and TSan a race with no frame of ours on the
  // stacks, in about 1 of 10 runs (2026-12-02; tests/asan.supp). The dev preset runs this test.
  GTEST_SKIP() << "Paho C's own races on a broker restart (see the comment); run in the dev preset";
#endif
  Sizes s;
  s.kills = 0;
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  auto car = start_car(s);
  Tally tally;
  std::size_t n = 0;
  bool restarted = false;
  while (!tally.done) {
    auto line = car->line(n++, kLineTimeout);
    ASSERT_TRUE(line) << last_lines(car->output());
    tally.read(*line);
    ASSERT_TRUE(tally.errors.empty()) << tally.errors.front();
    // Mid-stream: a third queued and some acknowledged, the rest still to come.
    if (!restarted && tally.saved >= s.reports / 3 && !tally.acked.empty()) {
      broker_->stop();  // SIGTERM: mosquitto saves its sessions, as a maintenance restart does
      broker_->start();
      restarted = true;
    }
  }
  EXPECT_EQ(car->wait_exit(kWait), 0) << car->output();
  EXPECT_TRUE(restarted);
  EXPECT_GE(car->count_lines("^offline$"), 1u) << "the car never noticed the broker going";
  EXPECT_GE(car->count_lines("^connected$"), 2u);
  expect_each_report_once(backend.db(), s);
}

// ---- Faults between the car and the backend: the backend killed, the network cut (issue 11) ----

struct ThreeCars {
  static std::vector<std::string> vins() { return {kVinA, kVinB, "LSVAX60E5K2000003"}; }
};

/// One `fb-car stream` per VIN, read line by line; its reports have ids from its own seed.
struct StreamingCar {
  std::string vin;
  std::uint32_t seed = 0;
  std::unique_ptr<Process> process;
  Tally tally;
  std::size_t next_line = 0;
  bool exited = false;

  /// Reads what the car has written, waiting at most `wait` for the next line; false once it exited.
  bool poll(std::chrono::milliseconds wait) {
    while (!exited) {
      auto line = process->line(next_line, wait);
      if (!line) {
        exited = !process->running();
        return !exited;
      }
      ++next_line;
      tally.read(*line);
      wait = std::chrono::milliseconds(0);
    }
    return false;
  }
};

class FleetFaults : public BrokerTest<ThreeCars> {
 protected:
  /// `reports` reports per car at `rate` a second (0: as fast as the car commits), each car
  /// through `broker_uri` (the broker, or a proxy in front of it).
  /// The Ack timeout is 3 s instead of 30: after a backend kill a car waits that long before it
  /// resends what the dead backend took from the broker (its own link never dropped).
  std::vector<StreamingCar> start_cars(std::size_t reports, std::size_t rate, std::uint32_t seed,
                                       const std::string& broker_uri) {
    std::vector<StreamingCar> cars;
    for (const auto& vin : ThreeCars::vins()) {
      StreamingCar car;
      car.vin = vin;
      car.seed = seed++;
      car.process = std::make_unique<Process>(
          "car", std::vector<std::string>{kCarBin, "--vin", vin, "--broker", broker_uri, "--pki", pki_->dir(), "--db",
                                          dir_ / (vin + ".db"), "--ack-timeout", "3", "stream", "--count",
                                          std::to_string(reports), "--rate", std::to_string(rate), "--id-seed",
                                          std::to_string(car.seed)});
      cars.push_back(std::move(car));
    }
    return cars;
  }

  /// Every report of every car is one case of its own, every car applied every ack (each ack
  /// carries the case's first notification), and the backend holds nothing else.
  void expect_each_report_once(const std::string& db, const std::vector<StreamingCar>& cars, std::size_t reports) {
    auto store = open_cases(db);
    ASSERT_TRUE(store);
    expect_each_report_once(*store, cars, reports);
  }
  void expect_each_report_once(backend::CaseStore& store_, const std::vector<StreamingCar>& cars, std::size_t reports) {
    for (const auto& car : cars) {
      EXPECT_TRUE(car.tally.errors.empty()) << car.vin << ": " << car.tally.errors.front();
      EXPECT_EQ(car.tally.acked.size(), reports) << car.vin << ": acks (and their notifications) missing";
    }
    auto* store = &store_;
    std::set<std::string> numbers;
    std::size_t missing = 0;
    for (const auto& car : cars) {
      for (std::size_t i = 0; i < reports; ++i) {
        auto c = store->find_case_by_report(report_id(car.seed, i));
        ASSERT_TRUE(c) << c.error().what();
        if (!*c) {
          if (++missing <= 5) ADD_FAILURE() << car.vin << ": report " << i << " never reached the backend";
          continue;
        }
        EXPECT_EQ((*c)->vin, car.vin);
        numbers.insert((*c)->case_number);
      }
    }
    const auto total = static_cast<std::int64_t>(cars.size() * reports);
    EXPECT_EQ(missing, 0u) << "reports lost";
    EXPECT_EQ(static_cast<std::int64_t>(numbers.size()), total - static_cast<std::int64_t>(missing));
    auto counts = store->counts();
    ASSERT_TRUE(counts);
    EXPECT_EQ(counts->reports, total) << "reports stored twice or foreign ones";
    EXPECT_EQ(counts->cases, total) << "a report made more than one case";
    EXPECT_EQ(counts->dead_letters, 0);
  }

  /// Reads every car's new lines; `acked`: Acks seen by all of them. False once none runs any
  /// more, or when a car reported an error (a test failure, recorded here).
  static bool poll_all(std::vector<StreamingCar>& cars, std::size_t& acked) {
    bool any_running = false;
    acked = 0;
    for (auto& car : cars) {
      any_running = car.poll(kPoll) || any_running;
      if (!car.tally.errors.empty()) {
        ADD_FAILURE() << car.vin << ": " << car.tally.errors.front();
        return false;
      }
      acked += car.tally.acked.size();
    }
    return any_running;
  }

  /// For a stall's failure: each car's recent events (not its progress lines) and the backend's log.
  static std::string recent_events(std::vector<StreamingCar>& cars, BackendProcess& backend) {
    std::string out;
    for (auto& car : cars) out += car.vin + ":\n" + last_events(car.process->output()) + "\n";
    return out + "backend:\n" + last_lines(backend.process().output());
  }

  static constexpr auto kPoll = std::chrono::milliseconds(50);
  /// Longer than a car's longest quiet spell (an abandoned link's 11 s, a 30 s reconnect wait,
  /// an 11 s CONNACK wait), shorter than ctest's timeout (120 s). FB_FAULT_STALL_S overrides it.
  const std::chrono::seconds stall_{env_size("FB_FAULT_STALL_S", 60)};
};

// The backend SIGKILLed at random points of a stream from three cars (between its broker PUBACK
// and its commit, mid-batch, while acking) and restarted on the same database: each car resends
// what has no Ack, so every report becomes exactly one case and every car gets every Ack.
// Sizes: FB_BACKEND_FAULT_REPORTS per car (default 200; the "long" entry 3,334 = 10,000 in all),
// FB_BACKEND_FAULT_KILLS (default 4; long 20), FB_FAULT_SEED, FB_FAULT_RATE per car (default 50).
TEST_F(FleetFaults, ABackendKilledAtRandomPointsLosesAndDuplicatesNothingFromSeveralCars) {
  const std::size_t reports = env_size("FB_BACKEND_FAULT_REPORTS", 200);
  const std::size_t kills = env_size("FB_BACKEND_FAULT_KILLS", 4);
  const auto seed = static_cast<std::uint32_t>(env_size("FB_FAULT_SEED", 20261203));
  const std::size_t rate = env_size("FB_FAULT_RATE", 50);
  std::cerr << "backend faults: 3 cars x " << reports << " reports, " << kills << " kills, seed " << seed << "\n";
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  auto cars = start_cars(reports, rate, seed, broker_->uri());
  // Kill points, uniform over the first half of the stream. A paced stream counts what the cars
  // have queued: their own clock, so the cars are still queueing when the last point comes and
  // the backend still has work to die in. Counting Acks instead, one restart's backlog can reach
  // the end of the stream in a single batch, before the test sees the last point (CI saw that
  // under TSan). Unpaced (rate 0, the "long" entry), the cars queue everything at once and the
  // Acks are the only measure that spreads.
  const auto progress = [&](std::size_t acked) {
    if (rate == 0) return acked;
    std::size_t saved = 0;
    for (const auto& car : cars) saved += car.tally.saved;
    return saved;
  };
  std::mt19937_64 rng(seed);
  std::vector<std::size_t> kill_at;
  for (std::size_t i = 0; i < kills; ++i) {
    kill_at.push_back(std::uniform_int_distribution<std::size_t>(1, cars.size() * reports / 2)(rng));
  }
  std::sort(kill_at.begin(), kill_at.end());
  std::size_t killed = 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto last_progress = t0;
  std::size_t last_acked = 0;
  for (;;) {
    std::size_t acked = 0;
    if (!poll_all(cars, acked)) break;
    if (acked != last_acked) last_acked = acked, last_progress = std::chrono::steady_clock::now();
    if (std::chrono::steady_clock::now() - last_progress > stall_) {
      FAIL() << "no Ack for " << stall_.count() << " s; " << acked << " so far\n" << recent_events(cars, backend);
    }
    if (killed < kill_at.size() && progress(acked) >= kill_at[killed]) {
      EXPECT_LT(acked, cars.size() * reports) << "kill " << killed + 1 << " came after the last Ack";
      backend.kill();
      ++killed;
      backend.start();
    }
  }
  for (auto& car : cars)
    EXPECT_EQ(car.process->wait_exit(kWait), 0) << car.vin << ":\n" << last_lines(car.process->output());
  const auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cerr << "backend faults: " << killed << " kills, " << wall << " s\n";
  EXPECT_EQ(killed, kills);
  expect_each_report_once(backend.db(), cars, reports);
}

// A network partition between the cars and the broker (a TCP proxy on loopback cuts every
// connection and refuses new ones, twice, for a while each), while the cars keep queueing:
// nothing is lost and nothing is doubled once the network is back.
TEST_F(FleetFaults, ANetworkPartitionBetweenCarsAndBrokerLosesNothing) {
  const std::size_t reports = env_size("FB_BACKEND_FAULT_REPORTS", 200);
  const auto seed = static_cast<std::uint32_t>(env_size("FB_FAULT_SEED", 20261203)) + 100;
  const std::size_t rate = env_size("FB_FAULT_RATE", 50);
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  TcpProxy proxy(static_cast<std::uint16_t>(broker_->port()));
  auto cars = start_cars(reports, rate, seed, "ssl://127.0.0.1:" + std::to_string(proxy.port()));
  // Two partitions: when every car has saved a quarter, then a half of its reports (and is
  // connected again after the first); each lasts until every car has said it is offline and has
  // saved another tenth of its reports with the link down. A car that has finished its stream
  // (every report saved and acknowledged) is not waited for: one that reconnects late after the
  // first partition lets the others finish before the second, and the loop waited for ever for
  // an exited car's "offline" (the likely cause of a silent CI timeout at stop 33).
  std::size_t partitions = 0;
  bool cut = false;
  std::vector<std::size_t> saved_at_cut(cars.size()), offline_at_cut(cars.size()), cuts_seen(cars.size());
  const auto lines = [](StreamingCar& car, const char* pattern) { return car.process->count_lines(pattern); };
  // A stall fails here, with each car's state, well before ctest's timeout kills the test mute.
  // Not in the state: the "offline" count, which a car retrying against a closed port raises.
  std::string last_state;
  auto last_change = std::chrono::steady_clock::now();
  for (;;) {
    bool any_running = false;
    bool all_connected = true;  // every car still running is connected since the last partition it saw
    std::size_t slowest = reports;
    std::string state = fmt::format("partitions {}, cut {}, proxy connections {}\n", partitions, cut,
                                    proxy.connections());
    for (std::size_t i = 0; i < cars.size(); ++i) {
      auto& car = cars[i];
      const bool running = car.poll(kPoll);
      any_running = any_running || running;
      ASSERT_TRUE(car.tally.errors.empty()) << car.vin << ": " << car.tally.errors.front();
      slowest = std::min(slowest, car.tally.saved);
      const auto connected = lines(car, "^connected$");
      if (running) all_connected = all_connected && connected >= cuts_seen[i] + 1;
      state += fmt::format("{}: saved {}, acked {}, connected {}, partitions seen {}, exited {}\n", car.vin,
                           car.tally.saved, car.tally.acked.size(), connected, cuts_seen[i], car.exited);
    }
    if (!any_running) break;
    if (state != last_state) {
      last_state = state;
      last_change = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_change > stall_) {
      FAIL() << "nothing moved for " << stall_.count() << " s:\n" << state << recent_events(cars, backend);
    }
    if (!cut && partitions < 2 && all_connected && slowest >= reports * (partitions + 1) / 4) {
      proxy.cut();
      cut = true;
      for (std::size_t i = 0; i < cars.size(); ++i) {
        saved_at_cut[i] = cars[i].tally.saved;
        offline_at_cut[i] = lines(cars[i], "^offline$");
      }
    } else if (cut) {
      bool all_offline_and_queueing = true;
      for (std::size_t i = 0; i < cars.size(); ++i) {
        if (cars[i].exited) continue;  // finished as the link went: nothing left to queue or send
        const bool offline = lines(cars[i], "^offline$") > offline_at_cut[i];
        const bool queued = cars[i].tally.saved >= std::min(reports, saved_at_cut[i] + reports / 10);
        all_offline_and_queueing = all_offline_and_queueing && offline && queued;
      }
      if (all_offline_and_queueing) {
        EXPECT_EQ(proxy.connections(), 0u);
        for (std::size_t i = 0; i < cars.size(); ++i) {
          if (lines(cars[i], "^offline$") > offline_at_cut[i]) ++cuts_seen[i];
        }
        proxy.restore();
        cut = false;
        ++partitions;
      }
    }
  }
  for (std::size_t i = 0; i < cars.size(); ++i) {
    auto& car = cars[i];
    EXPECT_EQ(car.process->wait_exit(kWait), 0) << car.vin << ":\n" << last_lines(car.process->output());
    EXPECT_GE(car.process->count_lines("^connected$"), cuts_seen[i] + 1)
        << car.vin << ": reconnected after each partition it saw:\n"
        << last_lines(car.process->output());
  }
  EXPECT_GE(*std::max_element(cuts_seen.begin(), cuts_seen.end()), 2u) << "no car went through both partitions";
  EXPECT_EQ(partitions, 2u);
  expect_each_report_once(backend.db(), cars, reports);
}

// ---- Two backend instances on one PostgreSQL database (issue 12) ----

// Two instances share the report stream through an MQTT shared subscription, each with its own
// certificate (fb-backend, fb-backend-2) and one PostgreSQL database. The first, which holds the
// timers' lease, is SIGKILLed mid-stream and stays dead: every report of three cars is still one
// case, every car got every Ack, and the SLA pass, taken over by the second instance, escalates
// each case exactly once at 50 % of its one-minute first-response target.
TEST_F(FleetFaults, TwoInstancesOnPostgresOneKilledMidStreamLoseNothingAndEscalateOnce) {
  const std::size_t reports = env_size("FB_TWO_INSTANCE_REPORTS", 150);
  const auto seed = static_cast<std::uint32_t>(env_size("FB_FAULT_SEED", 20261203)) + 200;
  PostgresServer pg;
  ASSERT_TRUE(pg.start()) << pg.why();
  // The deployed rules with a one-minute first-response target, so that the test sees the SLA.
  const std::filesystem::path rules = dir_ / "rules";
  std::filesystem::copy(kRulesDir, rules);
  {
    std::ifstream in(rules / "routing.conf");
    std::stringstream kept;
    for (std::string line; std::getline(in, line);) {
      if (!line.starts_with("sla ")) kept << line << "\n";
    }
    for (const char* p : {"high", "medium", "low"}) {
      kept << "sla " << p << " first_response=1m resolution=1d progress_every=1d\n";
    }
    std::ofstream(rules / "routing.conf") << kept.str();
  }
  const auto instance = [&](const char* name) {
    return std::vector<std::string>{"--postgres", pg.conninfo(), "--instance", name, "--shared-group", "backends"};
  };
  BackendProcess first(*broker_, *pki_, dir_ / "first.db", instance("fb-backend"), false, rules.string());
  ASSERT_TRUE(first.process().wait_for_line("holds the timers' lease", kWait)) << first.process().output();
  BackendProcess second(*broker_, *pki_, dir_ / "second.db", instance("fb-backend-2"), false, rules.string());

  auto cars = start_cars(reports, 50, seed, broker_->uri());
  bool killed = false;
  for (;;) {
    std::size_t acked = 0;
    if (!poll_all(cars, acked)) break;
    if (!killed && acked >= cars.size() * reports / 2) {
      first.kill();
      killed = true;
    }
  }
  ASSERT_TRUE(killed);
  for (auto& car : cars)
    EXPECT_EQ(car.process->wait_exit(kWait), 0) << car.vin << ":\n" << last_lines(car.process->output());
  const auto done = std::chrono::steady_clock::now();
  auto store = backend::open_postgres_case_store(pg.conninfo());
  ASSERT_TRUE(store) << store.error().what();
  expect_each_report_once(**store, cars, reports);

  // The SLA: the second instance takes the lease once the dead one's lapses (15 s), and every case
  // reaches 50 % of its first-response target 30 s after it opened.
  ASSERT_TRUE(second.process().wait_for_line("holds the timers' lease", std::chrono::seconds(60)))
      << second.process().output();
  std::vector<std::string> numbers;
  for (const auto& car : cars) {
    for (std::size_t i = 0; i < reports; ++i) {
      auto c = (*store)->find_case_by_report(report_id(car.seed, i));
      ASSERT_TRUE(c && *c);
      numbers.push_back((*c)->case_number);
    }
  }
  const auto escalations_at_50 = [&](const std::string& number) {
    auto events = (*store)->case_events(number);
    EXPECT_TRUE(events) << events.error().what();
    std::size_t n = 0;
    for (const auto& e : events ? *events : std::vector<backend::CaseEvent>{}) {
      if (e.kind != "escalation") continue;
      const auto detail = nlohmann::json::parse(e.detail, nullptr, false);
      n += detail.value("sla", "") == "first_response" && detail.value("level", 0) == 50 ? 1 : 0;
    }
    return n;
  };
  // Until every case has its escalation (each awaited by its own log line), or two minutes passed.
  for (const auto& number : numbers) {
    while (escalations_at_50(number) == 0 && std::chrono::steady_clock::now() - done < std::chrono::minutes(2)) {
      second.process().wait_for_line("SLA first_response 50% for case " + number, std::chrono::seconds(5));
    }
  }
  std::size_t once = 0;
  for (const auto& number : numbers) {
    const auto n = escalations_at_50(number);
    EXPECT_LE(n, 1u) << number << " escalated " << n << " times";
    once += n == 1 ? 1 : 0;
  }
  EXPECT_EQ(once, numbers.size()) << "cases without their 50 % escalation";
  second.terminate();
  EXPECT_EQ(second.process().count_lines("backend stopped: [1-9][0-9]* received"), 1u)
      << "the second instance took its share of the stream:\n"
      << last_lines(second.process().output());
}

}  // namespace
}  // namespace fb::test
