#include "fb/common/clock.hpp"

#include <condition_variable>
#include <ctime>
#include <map>
#include <mutex>
#include <thread>

namespace fb {

// Owner: the SystemClock. mu guards everything; the "clock-alarms" thread waits on cv for the
// earliest deadline and calls due wake-ups with mu held, so a cancel (which takes mu) never
// races a wake-up in progress. Wake-ups only post, so holding mu while they run is cheap. A
// cancelled alarm does not wake the thread (it finds nothing due and sleeps again), and a new
// one wakes it only if it is due before the thread would wake anyway.
struct SystemClock::Alarms {
  std::mutex mu;
  std::condition_variable cv;
  std::multimap<SteadyTime, std::pair<std::uint64_t, std::function<void()>>> pending;
  std::uint64_t next_id = 0;
  // When the thread wakes next by itself; a new alarm wakes it earlier only if it is due before.
  SteadyTime sleeping_until = SteadyTime::max();
  bool stopping = false;
  std::thread thread;

  void run() {
    std::unique_lock lock(mu);
    while (!stopping) {
      if (pending.empty()) {
        sleeping_until = SteadyTime::max();
        cv.wait(lock);
        continue;
      }
      const auto first = pending.begin()->first;
      if (std::chrono::steady_clock::now() < first) {
        sleeping_until = first;
        cv.wait_until(lock, first);
        sleeping_until = SteadyTime::min();  // awake: set_alarm need not notify
        continue;
      }
      auto wake = std::move(pending.begin()->second.second);
      pending.erase(pending.begin());
      wake();
    }
  }

  void cancel(SteadyTime deadline, std::uint64_t id) {
    std::lock_guard lock(mu);
    auto [begin, end] = pending.equal_range(deadline);
    for (auto it = begin; it != end; ++it) {
      if (it->second.first == id) {
        pending.erase(it);
        return;
      }
    }
  }
};

namespace {

class SystemAlarm final : public Clock::Alarm {
 public:
  SystemAlarm(std::weak_ptr<void> owner, std::function<void(Clock::SteadyTime, std::uint64_t)> cancel,
              Clock::SteadyTime deadline, std::uint64_t id)
      : owner_(std::move(owner)),
        cancel_(std::move(cancel)),
        deadline_(deadline),
        id_(id) {}
  ~SystemAlarm() override {
    if (auto alive = owner_.lock()) cancel_(deadline_, id_);
  }

 private:
  std::weak_ptr<void> owner_;
  std::function<void(Clock::SteadyTime, std::uint64_t)> cancel_;
  Clock::SteadyTime deadline_;
  std::uint64_t id_;
};

}  // namespace

SystemClock::SystemClock() : alarms_(std::make_shared<Alarms>()) {}

SystemClock::~SystemClock() {
  {
    std::lock_guard lock(alarms_->mu);
    alarms_->stopping = true;
  }
  alarms_->cv.notify_all();
  if (alarms_->thread.joinable()) alarms_->thread.join();
}

std::unique_ptr<Clock::Alarm> SystemClock::set_alarm(SteadyTime deadline, std::function<void()> wake) const {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(alarms_->mu);
    id = ++alarms_->next_id;
    const bool earliest = deadline < alarms_->sleeping_until;
    alarms_->pending.emplace(deadline, std::make_pair(id, std::move(wake)));
    // Thread "clock-alarms": calls the wake-ups of every timer in the process (they post to
    // their executors). Started on first use so that a process without timers has no thread.
    if (!alarms_->thread.joinable()) alarms_->thread = std::thread([a = alarms_.get()] { a->run(); });
    if (earliest) alarms_->cv.notify_all();
  }
  auto* alarms = alarms_.get();
  return std::make_unique<SystemAlarm>(
      std::weak_ptr<void>(alarms_), [alarms](SteadyTime d, std::uint64_t i) { alarms->cancel(d, i); }, deadline, id);
}

SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}

int utc_year(std::int64_t epoch_ms) {
  const auto t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm.tm_year + 1900;
}

}  // namespace fb
