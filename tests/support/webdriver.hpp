// A small synchronous W3C WebDriver client for browser tests: starts Debian's chromedriver on a
// free loopback port, opens one headless Chromium session and drives it over HTTP (Boost.Beast).
// WebDriver has no events, so waits poll the DOM with a short interval up to a deadline.
// One thread at a time per WebDriver. Every call returns the WebDriver error ("no such
// element: ...", "timeout: ...") as a fb::Error in the webdriver category.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fb/common/error.hpp"
#include "process.hpp"

namespace fb::test {

enum class WebDriverErrc {
  unavailable = 1,  // chromium or chromedriver is not installed, or did not start
  transport = 2,    // the HTTP exchange with chromedriver failed
  no_such_element = 3,
  stale_element = 4,  // the element left the DOM (the page re-rendered)
  timeout = 5,        // a wait passed its deadline
  command = 6,        // any other WebDriver error (detail: "<error>: <message>")
};
const std::error_category& webdriver_category() noexcept;
std::error_code make_error_code(WebDriverErrc e) noexcept;

}  // namespace fb::test

template <>
struct std::is_error_code_enum<fb::test::WebDriverErrc> : std::true_type {};

namespace fb::test {

struct WebDriverOptions {
  std::string chromedriver = "/usr/bin/chromedriver";
  std::string chromium = "/usr/bin/chromium";
  std::string language = "en";
  int width = 1400;
  int height = 1000;
  std::chrono::milliseconds wait_deadline{15000};
  std::chrono::milliseconds poll_interval{50};
};

/// A web element reference of the current page.
struct Element {
  std::string id;
};

class WebDriver {
 public:
  /// Empty when both binaries exist, else what is missing (for GTEST_SKIP).
  static std::string missing_binaries(const WebDriverOptions& options = {});
  /// Starts chromedriver and a headless Chromium session.
  static Result<std::unique_ptr<WebDriver>> start(WebDriverOptions options = {});
  /// Ends the session (closing Chromium) and then stops chromedriver.
  ~WebDriver();
  WebDriver(const WebDriver&) = delete;
  WebDriver& operator=(const WebDriver&) = delete;

  Result<void> navigate(const std::string& url);
  Result<std::string> current_url();

  Result<Element> find(const std::string& css);
  Result<std::vector<Element>> find_all(const std::string& css);
  Result<void> click(const Element& e);
  Result<void> clear(const Element& e);
  Result<void> send_keys(const Element& e, const std::string& text);
  Result<std::string> text(const Element& e);
  Result<std::string> property(const Element& e, const std::string& name);

  /// Runs `script` as a function body in the page (`arguments` holds `args`); returns its value.
  Result<nlohmann::json> execute(const std::string& script, const nlohmann::json& args = nlohmann::json::array());
  /// Sends a Chrome DevTools Protocol command to the page's target (chromedriver's goog/cdp/execute),
  /// e.g. Network.setBlockedURLs to make a request fail as an unreachable server would.
  Result<nlohmann::json> devtools(const std::string& command, const nlohmann::json& params = nlohmann::json::object());

  /// Polls `condition` until it returns true, an error other than no_such_element, or the deadline.
  Result<void> wait_until(const std::function<Result<bool>()>& condition, const std::string& what);
  /// Waits for an element matching `css` that is displayed.
  Result<Element> wait_for(const std::string& css);
  /// Waits for an element matching `css` whose text contains `needle`.
  Result<Element> wait_for_text(const std::string& css, const std::string& needle);

  /// Conveniences over wait_for: click, replace the value of an input, read the text.
  Result<void> click(const std::string& css);
  Result<void> type(const std::string& css, const std::string& text);
  Result<std::string> text(const std::string& css);

  /// Saves a PNG screenshot to `path` (creating its directory): the viewport, or with
  /// `full_page` the whole document (the window grows to the page's height for the shot).
  Result<void> screenshot(const std::string& path, bool full_page = false);

 private:
  WebDriver(WebDriverOptions options, int port, std::unique_ptr<Process> driver);
  Result<nlohmann::json> request(const std::string& method, const std::string& target,
                                 const nlohmann::json& body = nullptr);
  Result<nlohmann::json> session_request(const std::string& method, const std::string& path,
                                         const nlohmann::json& body = nullptr);

  struct Transport;  // an HttpClient (http_client.hpp) to chromedriver and its io_context

  WebDriverOptions options_;
  std::unique_ptr<Process> driver_;
  std::unique_ptr<Transport> transport_;
  std::string session_;
};

}  // namespace fb::test
