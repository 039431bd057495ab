// fb-dealer: plays one dealer through the service teams' API (docs/visits.md) with a dealer
// token, taking each booked visit from check-in to handover and printing each step.
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <thread>

#include "fb/common/guarded_main.hpp"
#include "fb/dealer_sim/dealer.hpp"

namespace {

fb::Result<std::string> read_token(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fb::fail(fb::dealer::DealerErrc::token, "cannot read " + path);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\r')) token.pop_back();
  if (token.empty()) return fb::fail(fb::dealer::DealerErrc::token, path + " is empty");
  return token;
}

int run_main(int argc, char** argv) {
  CLI::App app{"fb-dealer: a simulated dealer that works its booked visits through the API."};
  std::string api_url = "http://127.0.0.1:8080", token_file;
  fb::dealer::DealerOptions o;
  int step_ms = 500, timeout_s = 300;
  app.add_option("--api", api_url, "The API's base URL (fb-backend --http)");
  app.add_option("--token-file", token_file,
                 "File with a dealer token (fb-backend token add --role dealer --team CODE)")
      ->required();
  app.add_option("--visit", o.visit_id, "Only this visit (waits until the driver books it)");
  app.add_option("--step-ms", step_ms, "Pause after each step and between polls (ms)")->check(CLI::Range(0, 600000));
  app.add_option("--extra-cost", o.plan.extra_cost_minor,
                 "The repair needs this much more than the estimate (minor units): ask the driver first")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40));
  app.add_option("--extra-reason", o.plan.extra_reason, "Why the extra cost, as the driver reads it");
  app.add_flag("--fail-quality-once", o.plan.fail_quality_once, "The first quality check fails: repair again");
  app.add_option("--until-handed-over", o.until_handed_over,
                 "Keep polling until this many visits are handed over (0: stop when nothing is left to do)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--timeout-s", timeout_s, "Give up after this many seconds")->check(CLI::PositiveNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int printed = app.exit(e);  // the message, or the help (0)
    return printed == 0 ? 0 : 2;      // README: 2 on a bad argument, whatever CLI11's own code
  }
  o.step = std::chrono::milliseconds(step_ms);
  o.timeout = std::chrono::seconds(timeout_s);

  auto endpoint = fb::dealer::parse_api_url(api_url);
  if (!endpoint) {
    std::cerr << "fb-dealer: " << endpoint.error().what() << std::endl;
    return 2;
  }
  auto token = read_token(token_file);
  if (!token) {
    std::cerr << "fb-dealer: " << token.error().what() << std::endl;
    return 2;
  }
  fb::dealer::ApiClient api(*endpoint, *token);
  fb::dealer::Dealer dealer(
      api, o, fb::SystemClock::instance(), [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); },
      std::cout);
  auto handed = dealer.run();
  if (!handed) {
    std::cerr << "fb-dealer: " << handed.error().what() << std::endl;
    return 1;
  }
  std::cout << "fb-dealer: " << *handed << " visit(s) handed over" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return fb::guarded_main("fb-dealer", argc, argv, run_main); }
