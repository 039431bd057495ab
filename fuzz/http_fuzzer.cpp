// Fuzz target: an HTTP request as bytes from the network, parsed as a connection parses it
// (Beast, our percent-decoding and query splitting; parse_request) and, when it parses, answered
// by the service teams' API over a real SQLite case store, with the rules and tokens of a small
// deployment (the seeds carry an admin's and an agent's bearer token). Properties besides "no
// crash, no sanitizer report": every request gets exactly one answer, with a status from 200 to
// 599, and an error answer is a JSON problem document.
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "fake_clock.hpp"
#include "fake_mqtt.hpp"
#include "fb/api/api.hpp"
#include "fb/api/http_server.hpp"
#include "fb/backend/analytics.hpp"
#include "fb/backend/rules.hpp"
#include "fuzz_support.hpp"

namespace {

namespace api = fb::api;
namespace backend = fb::backend;

/// One API over one case store, for kInputsPerWorld inputs (the store grows with what the inputs
/// create, and every list and search with it: a fresh one keeps a long run's rate from decaying).
constexpr int kInputsPerWorld = 20'000;

struct World {
  boost::asio::io_context io;
  boost::asio::strand<boost::asio::io_context::executor_type> strand = boost::asio::make_strand(io);
  fb::test::FakeClock clock;
  std::shared_ptr<fb::test::FakeMqtt::State> mqtt = std::make_shared<fb::test::FakeMqtt::State>();
  std::filesystem::path dir;
  std::unique_ptr<backend::Service> service;
  std::unique_ptr<api::Api> api;

  World() {
    spdlog::set_level(spdlog::level::off);  // the service logs every change it makes
    dir = std::filesystem::temp_directory_path() / ("fb-fuzz-http-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::filesystem::copy(fb::fuzz::source_dir() / "deploy" / "rules", dir / "rules");
    clock.set_wall_ms(1'780'000'000'000);
    auto rules = backend::load_rules(dir / "rules");
    auto store = backend::open_sqlite_case_store(dir / "cases.db");
    if (!rules || !store) std::abort();
    service = std::make_unique<backend::Service>(strand, clock, backend::ServiceOptions{}, std::move(*store),
                                                 std::move(*rules), std::make_unique<fb::test::FakeMqtt>(strand, mqtt));
    if (!service->start()) std::abort();
    fb::test::set_connected(*mqtt, true);
    fb::test::run_ready(io);
    std::string lines;
    lines += api::TokenStore::line_for("token-admin", {"root", api::Role::admin, ""}) + "\n";
    lines += api::TokenStore::line_for("token-agent", {"alice", api::Role::agent, "after_sales"}) + "\n";
    auto tokens = api::TokenStore::parse(lines, "fuzz");
    auto reads = backend::open_sqlite_case_store(dir / "cases.db");
    auto analytics = backend::open_sqlite_analytics(dir / "cases.db");
    if (!tokens || !reads || !analytics) std::abort();
    std::vector<std::unique_ptr<backend::CaseStore>> readers;
    readers.push_back(std::move(*reads));
    auto made = api::Api::create(io.get_executor(), clock, *service, std::move(readers), std::move(*analytics),
                                 std::move(*tokens), api::ApiOptions{{}, dir / "rules"});
    if (!made) std::abort();
    api = std::move(*made);
  }
  ~World() {
    try {
      service->stop();
      fb::test::run_ready(io);
    } catch (...) {  // at the process's exit: nothing left to report it to
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

World& world() {
  // spdlog's registry first: statics are destroyed in reverse order, and the World's stop()
  // logs at exit (ASan: heap-use-after-free in the replay build otherwise).
  static const bool logging_first = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)logging_first;
  static std::unique_ptr<World> w;
  static int inputs = 0;
  if (!w || ++inputs > kInputsPerWorld) {
    w.reset();  // before the next one takes its directory
    w = std::make_unique<World>();
    inputs = 1;
  }
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto request = api::parse_request(fb::fuzz::as_text(data, size));
  if (!request) return 0;
  auto& w = world();
  int answers = 0;
  api::HttpResponse response;
  w.api->handle(*request, [&](api::HttpResponse r) {
    ++answers;
    response = std::move(r);
  });
  fb::test::run_ready(w.io);
  w.mqtt->published.clear();  // what a change sent to a car: nobody acknowledges it here
  if (answers != 1 || response.status < 200 || response.status > 599) std::abort();
  if (response.status >= 400 && response.content_type.find("json") != std::string::npos &&
      !nlohmann::json::accept(response.body)) {
    std::abort();
  }
  return 0;
}
