// The backend Service in this process on real Paho and SQLite, on an io_context thread of its
// own, as fb-backend runs it: for integration tests and benchmarks. Header-only, so that
// fb_test_support itself stays free of the backend.
#pragma once

#include <memory>
#include <stdexcept>

#include "fb/async/io_thread.hpp"
#include "fb/backend/config.hpp"
#include "fb/backend/rules.hpp"
#include "fb/backend/service.hpp"

namespace fb::test {

/// An in-process backend Service on real Paho and the configured store (SQLite, or PostgreSQL when
/// `postgres` is set), as fb-backend runs it: two threads,
/// the service on one strand and its MQTT client on another.
class InProcessBackend {
 public:
  /// Loads the rules and opens the store (not started yet); throws std::runtime_error with the
  /// reason when either fails.
  explicit InProcessBackend(const backend::BackendConfig& config) {
    auto& clock = SystemClock::instance();
    auto rules = backend::load_rules(config.rules_dir);
    auto store = backend::open_case_store(config);
    if (!rules || !store) throw std::runtime_error("backend parts: " + (!rules ? rules.error() : store.error()).what());
    service_ = std::make_unique<backend::Service>(io_.strand(), clock, config.service, std::move(*store),
                                                  std::move(*rules),
                                                  mqtt::make_paho_client(io_.make_strand(), clock, config.mqtt));
  }
  /// Starts the service on its strand. Errors: MqttErrc from the client (TLS files, URI).
  Result<void> start() {
    return io_.call([&] { return service_->start(); });
  }
  ~InProcessBackend() { stop(); }
  /// Stops the service on its strand and joins the thread. Idempotent.
  void stop() {
    if (stopped_) return;
    stopped_ = true;
    io_.call([&] { service_->stop(); });
    io_.join();
  }
  backend::ServiceStats stats() const { return service_->stats(); }

 private:
  IoThread io_{2, "backend-io"};
  std::unique_ptr<backend::Service> service_;
  bool stopped_ = false;
};

}  // namespace fb::test
