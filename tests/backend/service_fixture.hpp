// The Service on the test thread: the fake MQTT client, the fake clock and a real case store
// (SQLite in a temporary directory, or PostgreSQL under FB_TEST_STORE=postgres), with the shipped rules. Nothing waits
// for time: run() runs what is ready on the io_context, and the tests advance clock_ themselves.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "fake_clock.hpp"
#include "fake_mqtt.hpp"
#include "fb/backend/service.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/topics.hpp"
#include "paths.hpp"
#include "process.hpp"
#include "store_fixture.hpp"

namespace fb::test {

class ServiceFixture : public ::testing::Test {
 protected:
  /// Opens the store in dir_, starts the Service connected to the fake broker and runs its start.
  void start(const backend::ServiceOptions& options = {}) {
    options_ = options;
    mqtt_ = std::make_shared<FakeMqtt::State>();
    auto rules = backend::load_rules(kRulesDir);
    ASSERT_TRUE(rules) << rules.error().what();
    auto store = open_case_store(dir_ / "cases.db");  // SQLite, or PostgreSQL in postgres_store_suite
    ASSERT_TRUE(store) << store.error().what();
    if (wrap_store) *store = wrap_store(std::move(*store));
    service_ = std::make_unique<backend::Service>(strand_, clock_, options, std::move(*store), std::move(*rules),
                                                  std::make_unique<FakeMqtt>(strand_, mqtt_));
    ASSERT_TRUE(service_->start());
    set_connected(*mqtt_, true);
    run();
  }
  void TearDown() override {
    if (service_) service_->stop();
    run();
  }
  void run() { run_ready(io_); }

  /// Delivers a valid report from `vin` as the broker would; returns what was sent.
  wire::Envelope send_report(const std::string& vin, const std::string& text, mqtt::QoS qos = mqtt::QoS::at_least_once,
                             bool retained = false) {
    auto env = valid_report_envelope(vin, text);
    deliver(*mqtt_, mqtt::Message{topics::reports(vin), codec::encode(env), qos, retained});
    return env;
  }

  /// If set, start() hands the service this wrapper of its store (e.g. one that fails on demand).
  std::function<std::unique_ptr<backend::CaseStore>(std::unique_ptr<backend::CaseStore>)> wrap_store;
  TempDir dir_;
  boost::asio::io_context io_;
  boost::asio::any_io_executor strand_ = boost::asio::make_strand(io_);
  FakeClock clock_;
  backend::ServiceOptions options_;
  std::shared_ptr<FakeMqtt::State> mqtt_;
  std::unique_ptr<backend::Service> service_;
};

}  // namespace fb::test
