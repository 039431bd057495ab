// Real parts for the integration tests: Mosquitto with TLS (broker.hpp), the fb-backend binary,
// in-process agents on real Paho and SQLite, and raw MQTT clients with a vehicle's certificate.
// Every wait is on a signal (a log line, a listener event, a message) with a deadline.
#pragma once

#include <fstream>

#include <gtest/gtest.h>
#include <signal.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <set>

#include "../common/report_fixture.hpp"
#include "broker.hpp"
#include "broker_test.hpp"
#include "fb/agent/agent.hpp"
#include "fb/async/io_thread.hpp"
#include "fb/backend/case_store.hpp"
#include "fb/common/topics.hpp"
#include "in_process_backend.hpp"
#include "paths.hpp"
#include "process.hpp"

namespace fb::test {

using namespace std::chrono_literals;
inline constexpr auto kWait = 30s;

/// fb-backend as a process. Unless `merge` is set, it keeps every report in a case of its own
/// (the tests send one car's reports by the dozen and count cases); see docs/lifecycle.md.
/// `rules_dir`: a copy of deploy/rules for a test that edits the rules through the API.
/// `extra_config`: more top-level keys of its configuration file, e.g. `"utc_offset": "+05:45"`.
class BackendProcess {
 public:
  BackendProcess(const Broker& broker, const Pki& pki, std::string db, std::vector<std::string> extra_args = {},
                 bool merge = false, std::string rules_dir = kRulesDir, const std::string& extra_config = {})
      : broker_(broker),
        pki_(pki),
        db_(std::move(db)),
        extra_args_(std::move(extra_args)),
        rules_dir_(std::move(rules_dir)),
        config_(db_ + ".backend.json") {
    // No per-VIN rate limit: these tests drive one car as hard as it goes (fault injection,
    // bursts); the limit itself is flood_test's and fair_share_test's.
    std::ofstream(config_) << R"({"version": 1, "rate_limit": {"per_second": 0}, "grouping": {"merge_window_hours": )"
                           << (merge ? 336 : 0) << "}" << (extra_config.empty() ? "" : ", " + extra_config) << "}";
    start();
  }
  void start() {
    std::vector<std::string> args{kBackendBin, "--config", config_,   "--broker", broker_.uri(), "--pki", pki_.dir(),
                                  "--db",      db_,        "--rules", rules_dir_, "--log-level", "info"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    args.emplace_back("serve");
    process_ = std::make_unique<Process>("backend", args);
    if (!process_->wait_for_line("backend ready", kWait)) {
      ADD_FAILURE() << "backend did not become ready:\n" << process_->output();
    }
  }
  void kill() { process_->kill_and_wait(SIGKILL); }
  void terminate() { process_->kill_and_wait(SIGTERM); }
  Process& process() { return *process_; }
  const std::string& db() const { return db_; }

 private:
  const Broker& broker_;
  const Pki& pki_;
  std::string db_;
  std::vector<std::string> extra_args_;
  std::string rules_dir_;
  std::string config_;
  std::unique_ptr<Process> process_;
};

/// A new API bearer token from `fb-backend token add` (it prints the token once, on its last
/// line). The backend reads the token file when it starts.
inline std::string add_api_token(const std::string& tokens, const std::string& role, const std::string& team,
                                 const std::string& name) {
  const std::string cli = std::string(kBackendBin) + " --tokens " + tokens + " token add --role " + role + " --team " +
                          team + " --name " + name;
  std::string out;
  if (run_command(cli, &out) != 0) throw std::runtime_error(cli + " failed: " + out);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out.substr(out.find_last_of('\n') + 1);
}

/// Opens the backend's case store next to the running backend (SQLite WAL allows readers).
inline std::unique_ptr<backend::CaseStore> open_cases(const std::string& db) {
  auto s = backend::open_sqlite_case_store(db);
  EXPECT_TRUE(s) << s.error().what();
  return s ? std::move(*s) : nullptr;
}

/// An in-process head unit on real Paho and SQLite, recording what happens to its reports.
class Car final : public agent::AgentListener {
 public:
  Car(const Broker& broker, const Pki& pki, const std::string& vin, const std::string& db,
      agent::SendScheduler::Policy sending = {}, mqtt::ProtocolVersion version = mqtt::ProtocolVersion::v3_1_1) {
    agent::AgentConfig c;
    c.vehicle = {vin, "Aurora EV", 2026, "HU-3.2.1"};
    c.database = db;
    c.mqtt = client_options(broker, vin, pki.vehicle(vin));
    c.sending = sending;
    c.mqtt.version = version;
    auto& clock = SystemClock::instance();
    auto a = agent::Agent::open(io_.strand(), clock, c, mqtt::make_paho_client(io_.strand(), clock, c.mqtt));
    if (!a) throw std::runtime_error(a.error().what());
    agent_ = std::move(*a);
    agent_->add_listener(this);
    if (auto r = io_.call([&] { return agent_->start(); }); !r) throw std::runtime_error(r.error().what());
  }
  ~Car() override {
    io_.call([&] { agent_->stop(); });
    io_.join();  // the agent's last completions run before it is destroyed
  }

  std::string submit(const std::string& text, const std::string& language = "en",
                     wire::Category category = wire::CATEGORY_NOISE) {
    agent::Draft d;
    d.category = category;
    d.text = text;
    d.language = language;
    std::promise<Result<std::string>> saved;
    agent_->submit(d, [&](Result<std::string> r) { saved.set_value(std::move(r)); });
    auto id = saved.get_future().get();
    EXPECT_TRUE(id) << id.error().what();
    return id ? *id : std::string();
  }

  void report_changed(const agent::ReportView& r) override {
    std::lock_guard lock(mu_);
    status_[r.report_id] = r.status;
    if (!r.case_number.empty()) case_number_[r.report_id] = r.case_number;
    cv_.notify_all();
  }
  void report_sent(const std::string& id) override {
    std::lock_guard lock(mu_);
    sent_.insert(id);
    cv_.notify_all();
  }
  void notification_received(const agent::InboxEntry& n) override {
    std::lock_guard lock(mu_);
    ++notifications_[n.report_id];
    cv_.notify_all();
  }
  void answer_stored(const std::string& id, bool refused) override {
    std::lock_guard lock(mu_);
    answers_stored_[id] = refused;
    cv_.notify_all();
  }
  void connection_changed(bool up) override {
    std::lock_guard lock(mu_);
    (up ? connects_ : disconnects_)++;
    connected_ = up;
    cv_.notify_all();
  }

  /// Waits until `pred()` holds; it runs under the lock, so it reads fields, never the getters.
  template <typename Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pred(); });
  }
  bool wait_connected() {
    return wait([&] { return connected_; });
  }
  bool wait_disconnected() {
    return wait([&] { return !connected_ && disconnects_ > 0; });
  }
  /// The backend has confirmed `count` of the driver's answers (AnswerStored); their ids and
  /// whether each was refused.
  std::map<std::string, bool> wait_answers_stored(std::size_t count) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kWait, [&] { return answers_stored_.size() >= count; });
    return answers_stored_;
  }
  /// All of `ids` have their "received" notification.
  bool wait_notified(const std::vector<std::string>& ids) {
    return wait([&] {
      for (const auto& id : ids)
        if (!notifications_.contains(id)) return false;
      return true;
    });
  }
  /// Report `id` has at least `n` notifications (received, then the team's moves).
  bool wait_notifications(const std::string& id, int n) {
    return wait([&] {
      auto it = notifications_.find(id);
      return it != notifications_.end() && it->second >= n;
    });
  }
  bool wait_status(const std::string& id, ReportStatus s) {
    return wait([&] {
      auto it = status_.find(id);
      return it != status_.end() && it->second == s;
    });
  }
  bool wait_acknowledged(const std::vector<std::string>& ids, std::size_t at_least) {
    return wait([&] {
      std::size_t n = 0;
      for (const auto& id : ids) n += case_number_.contains(id) ? 1 : 0;
      return n >= at_least;
    });
  }
  bool wait_sent(const std::vector<std::string>& ids) {
    return wait([&] {
      for (const auto& id : ids)
        if (!sent_.contains(id)) return false;
      return true;
    });
  }
  int notifications(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = notifications_.find(id);
    return it == notifications_.end() ? 0 : it->second;
  }
  std::string case_number(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = case_number_.find(id);
    return it == case_number_.end() ? std::string() : it->second;
  }
  int disconnects() {
    std::lock_guard lock(mu_);
    return disconnects_;
  }
  agent::Agent& agent() { return *agent_; }
  std::vector<agent::ReportView> reports() {
    return wait_for_answer<agent::ReportView>([&](auto done) { agent_->reports(std::move(done)); });
  }
  std::vector<agent::InboxEntry> inbox() {
    return wait_for_answer<agent::InboxEntry>([&](auto done) { agent_->inbox(std::move(done)); });
  }

 private:
  // Asks the agent (`ask` receives the completion) and waits for its answer on this thread.
  template <typename T, typename Ask>
  static std::vector<T> wait_for_answer(Ask ask) {
    std::promise<Result<std::vector<T>>> p;
    ask([&](Result<std::vector<T>> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    EXPECT_TRUE(r) << r.error().what();
    return r.value_or(std::vector<T>{});
  }

  IoThread io_;  // the agent lives on its strand; declared first, so joined after ~Car's stop
  std::unique_ptr<agent::Agent> agent_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, ReportStatus> status_;
  std::map<std::string, std::string> case_number_;
  std::map<std::string, int> notifications_;
  std::set<std::string> sent_;
  std::map<std::string, bool> answers_stored_;  // answer id -> refused
  bool connected_ = false;
  int connects_ = 0;
  int disconnects_ = 0;
};

/// A bare MQTT client with some identity's certificate, for what a misbehaving car could try.
class RawClient {
 public:
  /// Connects with `filters` subscribed (the link counts as up once every SUBACK is in).
  RawClient(const Broker& broker, const std::string& client_id, const mqtt::TlsFiles& tls,
            const std::vector<std::string>& filters = {})
      : client_(mqtt::make_paho_client(io_.strand(), SystemClock::instance(), client_options(broker, client_id, tls))) {
    client_->on_message([this](mqtt::Message m) {
      std::lock_guard lock(mu_);
      messages_.push_back(std::move(m));
      cv_.notify_all();
    });
    client_->on_connection([this](bool up, const Error&) {
      std::lock_guard lock(mu_);
      connected_ = up;
      cv_.notify_all();
    });
    for (const auto& f : filters) client_->subscribe(f, mqtt::QoS::at_least_once);
    EXPECT_TRUE(io_.call([&] { return client_->start(); }));
    std::unique_lock lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, kWait, [&] { return connected_; })) << "raw client did not connect";
  }
  ~RawClient() {
    io_.call([&] { client_->stop(); });
    io_.join();
  }

  /// Publishes with QoS 1 and waits for the broker's PUBACK.
  Result<void> publish(const std::string& topic, const std::string& payload) {
    std::promise<Error> done;
    io_.call([&] {
      client_->publish(topic, payload, mqtt::QoS::at_least_once, [&done](const Error& e) { done.set_value(e); });
    });
    auto e = done.get_future().get();
    if (e.code) return fail(e);
    return {};
  }

  /// Waits for the next message whose envelope satisfies `pred`; nullopt on timeout.
  template <typename Pred>
  std::optional<mqtt::Message> next(Pred pred, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    std::optional<mqtt::Message> found;
    cv_.wait_for(lock, timeout, [&] {
      while (!messages_.empty()) {
        auto m = std::move(messages_.front());
        messages_.pop_front();
        seen_.push_back(m);
        auto env = codec::decode(m.payload);
        if (env && pred(*env)) {
          found = std::move(m);
          return true;
        }
      }
      return false;
    });
    return found;
  }
  /// Every message received so far, including those next() skipped.
  std::vector<mqtt::Message> all() {
    std::lock_guard lock(mu_);
    std::vector<mqtt::Message> out(seen_.begin(), seen_.end());
    out.insert(out.end(), messages_.begin(), messages_.end());
    return out;
  }

 private:
  IoThread io_;  // the client lives on its strand
  std::unique_ptr<mqtt::Client> client_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<mqtt::Message> messages_;
  std::vector<mqtt::Message> seen_;
  bool connected_ = false;
};

struct TwoCars {
  static std::vector<std::string> vins() { return {kVinA, kVinB}; }
};
using IntegrationTest = BrokerTest<TwoCars>;

}  // namespace fb::test
