// A GoogleTest base for suites against the real broker: one PKI per suite (generating it takes
// ~0.15 s), one Mosquitto with TLS per test. Header-only: fb_test_support has no GoogleTest.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "broker.hpp"
#include "process.hpp"

namespace fb::test {

/// `Base` is ::testing::Test or ::testing::TestWithParam<...>; `Vins` provides
/// `static std::vector<std::string> vins()`, the vehicles that get a certificate.
template <typename Vins, typename Base = ::testing::Test>
class BrokerTest : public Base {
 protected:
  static void SetUpTestSuite() {
    pki_dir_ = new TempDir("fbpki");
    pki_ = new Pki(pki_dir_->path() + "/pki", Vins::vins());
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete pki_dir_;
  }
  void SetUp() override {
    // The broker drops privileges to "mosquitto" when run as root: it must reach its run dir.
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::others_exec, std::filesystem::perm_options::add);
    broker_ = std::make_unique<Broker>(dir_ / "broker", *pki_);
  }

  static inline TempDir* pki_dir_ = nullptr;
  static inline Pki* pki_ = nullptr;
  TempDir dir_{"fbit"};
  std::unique_ptr<Broker> broker_;
};

}  // namespace fb::test
