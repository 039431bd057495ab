#include "stream.hpp"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <optional>
#include <vector>

#include "fb/agent/signals.hpp"
#include "fb/asio.hpp"
#include "fb/async/timer.hpp"

namespace fb::car {

namespace {

constexpr std::string_view kIdMiddle = "-0000-4000-8000-";  // version 4, variant 1: still a UUID

void say(const std::string& line) { std::cout << line << std::endl; }

/// What the store holds of the stream, read before the agent opens it.
struct Progress {
  std::size_t in_store = 0;
  std::vector<bool> acknowledged;      // by index
  std::optional<std::size_t> missing;  // an index absent below a present one: a lost report
};

Result<Progress> scan(agent::AgentConfig config, const StreamOptions& o) {
  if (auto keys = agent::load_store_keys(config); !keys) return fail(keys.error());
  auto store = agent::CarStore::open(config.database, config.storage);
  if (!store) return fail(store.error());
  Progress p;
  p.acknowledged.assign(o.count, false);
  std::optional<std::size_t> first_absent;
  for (std::size_t i = 0; i < o.count; ++i) {
    auto r = store->report(stream_report_id(o.seed, i));
    if (!r) return fail(r.error());
    if (!*r) {
      if (!first_absent) first_absent = i;
      continue;
    }
    if (first_absent) p.missing = first_absent;
    ++p.in_store;
    p.acknowledged[i] = (*r)->status != ReportStatus::queued;
  }
  return p;
}

/// Submits the reports one after the other (each once the previous one is committed), paced by
/// the rate, and follows their acknowledgements. Lives on the agent's strand.
class Stream final : public agent::AgentListener {
 public:
  Stream(agent::Agent& agent, const Clock& clock, const StreamOptions& o, Progress p, std::function<void()> finish)
      : agent_(agent),
        clock_(clock),
        o_(o),
        acknowledged_(std::move(p.acknowledged)),
        next_(p.in_store),
        first_(p.in_store),
        pace_(agent.get_executor(), clock),
        finish_(std::move(finish)) {
    for (bool a : acknowledged_) acked_ += a ? 1 : 0;
  }

  void start() {
    started_ = clock_.steady_now();
    check_done();
    if (!done_) submit_next();
  }
  void stop() { pace_.cancel(); }
  int exit_code() const { return failed_ ? 1 : (done_ ? 0 : 3); }

  void report_changed(const agent::ReportView& r) override {
    const auto index = stream_index(o_.seed, r.report_id);
    // An index past --count: a report of an earlier, longer stream on the same store.
    if (!index || *index >= acknowledged_.size() || r.status == ReportStatus::queued || acknowledged_[*index]) return;
    acknowledged_[*index] = true;
    ++acked_;
    if (r.status == ReportStatus::rejected) {
      say(fmt::format("rejected {} {}", *index, r.reject_reason));
      failed_ = true;
      finish_();
      return;
    }
    say(fmt::format("acked {}", *index));
    check_done();
  }
  void connection_changed(bool up) override { say(up ? "connected" : "offline"); }
  void link_problem(const Error& e) override { say("link problem: " + e.what()); }
  void storage_problem(const Error& e) override { say("storage problem: " + e.what()); }

 private:
  void submit_next() {
    if (next_ >= o_.count || done_ || failed_) return;
    const auto index = next_++;
    agent::Draft d;
    d.report_id = stream_report_id(o_.seed, index);
    if (o_.snapshot) {
      d.capture_snapshot = true;
      d.consent.set_diagnostics(true);
    }
    if (index % 2) {
      d.category = wire::CATEGORY_NOISE;
      d.text = fmt::format("stream {} #{}: dashboard rattle at low speed", o_.seed, index);
    } else {
      d.category = wire::CATEGORY_DRIVING_FEEL;
      d.text = fmt::format("stream {} #{}: 二挡升三挡时顿挫明显", o_.seed, index);
      d.language = "zh-CN";
    }
    agent_.submit(std::move(d), [this, index](Result<std::string> id) {
      if (!id) {
        say("not saved: " + id.error().what());
        failed_ = true;
        finish_();
        return;
      }
      say(fmt::format("saved {}", index));
      check_done();
      if (o_.rate <= 0) return submit_next();
      const auto due = started_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double>(static_cast<double>(next_ - first_) / o_.rate));
      pace_.arm_at(due, [this] { submit_next(); });
    });
  }

  void check_done() {
    if (done_ || next_ < o_.count || acked_ < o_.count) return;
    done_ = true;
    say(fmt::format("done {}", o_.count));
    finish_();
  }

  agent::Agent& agent_;
  const Clock& clock_;
  StreamOptions o_;
  std::vector<bool> acknowledged_;
  std::size_t acked_ = 0;
  std::size_t next_;   // the next index to submit
  std::size_t first_;  // the first index this process submits
  Clock::SteadyTime started_{};
  Timer pace_;
  std::function<void()> finish_;
  bool done_ = false;
  bool failed_ = false;
};

}  // namespace

std::string stream_report_id(std::uint32_t seed, std::size_t index) {
  return fmt::format("{:08x}{}{:012x}", seed, kIdMiddle, index);
}

std::optional<std::size_t> stream_index(std::uint32_t seed, std::string_view id) {
  const auto prefix = fmt::format("{:08x}{}", seed, kIdMiddle);
  if (id.size() != prefix.size() + 12 || !id.starts_with(prefix)) return std::nullopt;
  std::size_t index = 0;
  for (char c : id.substr(prefix.size())) {
    int digit;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else return std::nullopt;
    index = index * 16 + static_cast<std::size_t>(digit);
  }
  return index;
}

int run_stream(agent::AgentConfig config, const StreamOptions& o) {
  // The whole stream may wait offline (kills, a broker restart): the cap must not evict any of it.
  if (config.storage.max_reports != 0) {
    config.storage.max_reports = std::max(config.storage.max_reports, static_cast<std::size_t>(o.count));
  }
  auto progress = scan(config, o);
  if (!progress) {
    std::cerr << "fb-car: " << progress.error().what() << "\n";
    return 1;
  }
  const auto acked = static_cast<std::size_t>(
      std::count(progress->acknowledged.begin(), progress->acknowledged.end(), true));
  say(fmt::format("stream {} {} {}", progress->in_store, acked, o.count));
  if (progress->missing) {
    say(fmt::format("lost {}: a later report is in the store without it", *progress->missing));
    return 4;
  }
  // Composition root. Thread "main" runs the io_context; the agent, its MQTT client, the
  // stream's pacing timer and the signal set live on one strand of it.
  boost::asio::io_context io;
  auto strand = boost::asio::make_strand(io.get_executor());
  auto& clock = SystemClock::instance();
  std::optional<agent::DriveSimulator> drive;
  std::unique_ptr<agent::SnapshotRecorder> recorder;
  if (o.snapshot) {
    auto made = agent::SnapshotRecorder::create(strand, clock, *o.snapshot);
    if (!made) {
      std::cerr << "fb-car: " << made.error().what() << "\n";
      return 1;
    }
    recorder = std::move(*made);
    drive.emplace(strand, clock, agent::DriveSimulator::Config{});
    config.recorder = recorder.get();
  }
  auto opened = agent::Agent::open(strand, clock, config, mqtt::make_paho_client(strand, clock, config.mqtt));
  if (!opened) {
    std::cerr << "fb-car: " << opened.error().what() << "\n";
    return 1;
  }
  auto& agent = **opened;
  boost::asio::signal_set signals(strand, SIGINT, SIGTERM);
  bool finished = false;
  std::unique_ptr<Stream> stream;
  Timer drive_before(strand, clock);
  const auto finish = [&] {
    if (std::exchange(finished, true)) return;
    drive_before.cancel();
    if (drive) drive->stop();
    stream->stop();
    signals.cancel();
    agent.stop();
  };
  stream = std::make_unique<Stream>(agent, clock, o, std::move(*progress), finish);
  agent.add_listener(stream.get());
  if (auto r = agent.start(); !r) {
    std::cerr << "fb-car: " << r.error().what() << "\n";
    return 1;
  }
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) finish();
  });
  boost::asio::post(strand, [&] {
    if (drive) drive->start([&recorder](const agent::SignalSample& s) { recorder->add(s); });
    drive_before.arm_after(o.drive_before, [&] { stream->start(); });
  });
  io.run();
  return stream->exit_code();
}

}  // namespace fb::car
