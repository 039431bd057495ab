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
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <sstream>

#include "fb/common/series_codec.hpp"
#include "harness.hpp"

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

}  // namespace
}  // namespace fb::test
