#include "webdriver.hpp"

#include <signal.h>
#include <unistd.h>

#include "http_client.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

namespace fb::test {
namespace {

using nlohmann::json;

// The W3C name of an element reference inside JSON.
constexpr const char* kElementKey = "element-6066-11e4-a52e-4f735466cecf";

class WebDriverCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "webdriver"; }
  std::string message(int c) const override {
    switch (static_cast<WebDriverErrc>(c)) {
      case WebDriverErrc::unavailable: return "browser unavailable";
      case WebDriverErrc::transport: return "chromedriver unreachable";
      case WebDriverErrc::no_such_element: return "no such element";
      case WebDriverErrc::stale_element: return "stale element";
      case WebDriverErrc::timeout: return "timed out";
      case WebDriverErrc::command: return "command failed";
    }
    return "unknown";
  }
};

// The error a WebDriver error response stands for; detail "<error>: <first line of message>".
Error driver_error(const json& value) {
  const std::string error = value.value("error", "unknown error");
  std::string message = value.value("message", "");
  message = message.substr(0, message.find('\n'));
  auto code = WebDriverErrc::command;
  if (error == "no such element") code = WebDriverErrc::no_such_element;
  if (error == "stale element reference") code = WebDriverErrc::stale_element;
  if (error == "timeout" || error == "script timeout") code = WebDriverErrc::timeout;
  return Error(code, error + ": " + message);
}

Result<std::string> base64_decode(const std::string& in) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(in.size() * 3 / 4);
  unsigned bits = 0;
  int count = 0;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    const auto pos = alphabet.find(c);
    if (pos == std::string::npos) return fail(WebDriverErrc::command, "screenshot is not base64");
    bits = (bits << 6) | static_cast<unsigned>(pos);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return out;
}

// GCC 12's std::expected has no transform(): these two stand in for it.
Result<void> discard_value(Result<json> r) {
  if (!r) return fail(r.error());
  return {};
}
Result<std::string> string_value(Result<json> r) {
  if (!r) return fail(r.error());
  return r->is_string() ? r->get<std::string>() : r->dump();
}

bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

}  // namespace

// The HTTP exchange with chromedriver: one keep-alive connection, run on the caller's thread.
struct WebDriver::Transport {
  explicit Transport(int port) : http(io, static_cast<std::uint16_t>(port)) {}
  boost::asio::io_context io;
  HttpClient http;
};

const std::error_category& webdriver_category() noexcept {
  static const WebDriverCategory category;
  return category;
}
std::error_code make_error_code(WebDriverErrc e) noexcept { return {static_cast<int>(e), webdriver_category()}; }

std::string WebDriver::missing_binaries(const WebDriverOptions& options) {
  std::string missing;
  for (const auto& bin : {options.chromium, options.chromedriver})
    if (!executable(bin)) missing += (missing.empty() ? "" : ", ") + bin;
  return missing;
}

Result<std::unique_ptr<WebDriver>> WebDriver::start(WebDriverOptions options) {
  if (auto missing = missing_binaries(options); !missing.empty())
    return fail(WebDriverErrc::unavailable,
                "not installed: " + missing + " (apt-get install chromium chromium-driver)");
  const int port = free_port();
  auto driver = std::make_unique<Process>("chromedriver", std::vector<std::string>{options.chromedriver,
                                                                                   "--port=" + std::to_string(port)});
  if (!driver->wait_for_line("ChromeDriver was started successfully", options.wait_deadline))
    return fail(WebDriverErrc::unavailable, "chromedriver did not start: " + driver->output());
  std::unique_ptr<WebDriver> wd(new WebDriver(std::move(options), port, std::move(driver)));

  const auto& o = wd->options_;
  const json args = {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     // Loopback only: no update, sync or field-trial fetches from the test machine.
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--no-default-browser-check",
                     "--window-size=" + std::to_string(o.width) + "," + std::to_string(o.height),
                     "--lang=" + o.language};
  const auto deadline_ms = std::chrono::duration_cast<std::chrono::milliseconds>(o.wait_deadline).count();
  const json capabilities = {
      {"capabilities",
       {{"alwaysMatch",
         {{"browserName", "chrome"},
          {"timeouts", {{"pageLoad", deadline_ms}, {"script", deadline_ms}}},
          {"goog:chromeOptions", {{"args", args}, {"prefs", {{"intl.accept_languages", o.language}}}}}}}}}};
  auto session = wd->request("POST", "/session", capabilities);
  if (!session) return fail(WebDriverErrc::unavailable, "no Chromium session: " + session.error().detail);
  wd->session_ = session->value("sessionId", "");
  if (wd->session_.empty()) return fail(WebDriverErrc::unavailable, "no sessionId in " + session->dump());
  return wd;
}

WebDriver::WebDriver(WebDriverOptions options, int port, std::unique_ptr<Process> driver)
    : options_(std::move(options)),
      driver_(std::move(driver)),
      transport_(std::make_unique<Transport>(port)) {}

WebDriver::~WebDriver() {
  // Chromium outlives a killed chromedriver, so the session goes first. A destructor must not
  // throw: a failed goodbye (out of memory building the request) leaves chromedriver to the kill.
  try {
    if (!session_.empty()) (void)request("DELETE", "/session/" + session_);
  } catch (...) {
  }
  driver_->kill_and_wait(SIGTERM);
}

Result<json> WebDriver::request(const std::string& method, const std::string& target, const json& body) {
  HttpAnswer answer;
  try {
    answer = transport_->http.send(method, target, {}, body.is_null() ? std::string() : body.dump());
  } catch (const std::exception& e) {
    return fail(WebDriverErrc::transport, method + " " + target + ": " + e.what());
  }
  auto parsed = answer.json();
  if (parsed.is_discarded() || !parsed.is_object())
    return fail(WebDriverErrc::transport, method + " " + target + ": not JSON: " + answer.body.substr(0, 200));
  auto value = parsed.contains("value") ? parsed["value"] : json();
  if (answer.status != 200) return fail(driver_error(value));
  return value;
}

Result<json> WebDriver::session_request(const std::string& method, const std::string& path, const json& body) {
  return request(method, "/session/" + session_ + path, body);
}

Result<void> WebDriver::navigate(const std::string& url) {
  return discard_value(session_request("POST", "/url", {{"url", url}}));
}

Result<std::string> WebDriver::current_url() { return string_value(session_request("GET", "/url")); }

Result<Element> WebDriver::find(const std::string& css) {
  auto v = session_request("POST", "/element", {{"using", "css selector"}, {"value", css}});
  if (!v) return fail(v.error());
  return Element{v->value(kElementKey, "")};
}

Result<std::vector<Element>> WebDriver::find_all(const std::string& css) {
  auto v = session_request("POST", "/elements", {{"using", "css selector"}, {"value", css}});
  if (!v) return fail(v.error());
  std::vector<Element> out;
  for (const auto& e : *v) out.push_back(Element{e.value(kElementKey, "")});
  return out;
}

Result<void> WebDriver::click(const Element& e) {
  return discard_value(session_request("POST", "/element/" + e.id + "/click", json::object()));
}

Result<void> WebDriver::clear(const Element& e) {
  return discard_value(session_request("POST", "/element/" + e.id + "/clear", json::object()));
}

Result<void> WebDriver::send_keys(const Element& e, const std::string& text) {
  return discard_value(session_request("POST", "/element/" + e.id + "/value", {{"text", text}}));
}

Result<std::string> WebDriver::text(const Element& e) {
  return string_value(session_request("GET", "/element/" + e.id + "/text"));
}

Result<std::string> WebDriver::property(const Element& e, const std::string& name) {
  return string_value(session_request("GET", "/element/" + e.id + "/property/" + name));
}

Result<json> WebDriver::execute(const std::string& script, const json& args) {
  return session_request("POST", "/execute/sync", {{"script", script}, {"args", args}});
}

Result<json> WebDriver::devtools(const std::string& command, const json& params) {
  return session_request("POST", "/goog/cdp/execute", {{"cmd", command}, {"params", params}});
}

Result<void> WebDriver::wait_until(const std::function<Result<bool>()>& condition, const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + options_.wait_deadline;
  std::string last;
  for (;;) {
    auto r = condition();
    if (r && *r) return {};
    if (!r) {
      const auto c = r.error().code;
      if (c != WebDriverErrc::no_such_element && c != WebDriverErrc::stale_element) return fail(r.error());
      last = r.error().detail;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      const auto s = std::chrono::duration_cast<std::chrono::seconds>(options_.wait_deadline).count();
      return fail(WebDriverErrc::timeout,
                  "waited " + std::to_string(s) + " s for " + what + (last.empty() ? "" : " (last: " + last + ")"));
    }
    // WebDriver has no DOM events to wait on: polling the page is the signal.
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

Result<Element> WebDriver::wait_for(const std::string& css) {
  Element found;
  auto r = wait_until(
      [&]() -> Result<bool> {
        auto e = find(css);
        if (!e) return fail(e.error());
        auto shown = session_request("GET", "/element/" + e->id + "/displayed");
        if (!shown) return fail(shown.error());
        found = *e;
        return shown->is_boolean() && shown->get<bool>();
      },
      "'" + css + "' to be displayed");
  if (!r) return fail(r.error());
  return found;
}

Result<Element> WebDriver::wait_for_text(const std::string& css, const std::string& needle) {
  Element found;
  auto r = wait_until(
      [&]() -> Result<bool> {
        auto all = find_all(css);
        if (!all) return fail(all.error());
        for (const auto& e : *all) {
          auto t = text(e);
          if (!t) return fail(t.error());
          if (t->find(needle) != std::string::npos) {
            found = e;
            return true;
          }
        }
        return false;
      },
      "'" + css + "' with text '" + needle + "'");
  if (!r) return fail(r.error());
  return found;
}

Result<void> WebDriver::click(const std::string& css) {
  // Found, then clicked: a page that re-renders in between makes the element stale, so retry.
  return wait_until(
      [&]() -> Result<bool> {
        auto e = wait_for(css);
        if (!e) return fail(e.error());
        if (auto r = click(*e); !r) return fail(r.error());
        return true;
      },
      "a click on '" + css + "'");
}

Result<void> WebDriver::type(const std::string& css, const std::string& text) {
  return wait_until(
      [&]() -> Result<bool> {
        auto e = wait_for(css);
        if (!e) return fail(e.error());
        if (auto r = clear(*e); !r) return fail(r.error());
        if (auto r = send_keys(*e, text); !r) return fail(r.error());
        return true;
      },
      "typing into '" + css + "'");
}

Result<std::string> WebDriver::text(const std::string& css) {
  auto e = wait_for(css);
  if (!e) return fail(e.error());
  return text(*e);
}

Result<void> WebDriver::screenshot(const std::string& path, bool full_page) {
  if (full_page) {
    auto height = execute("return document.documentElement.scrollHeight + (window.outerHeight - window.innerHeight);");
    if (!height) return fail(height.error());
    const int h = std::max(options_.height, height->is_number() ? height->get<int>() : 0);
    if (auto r = session_request("POST", "/window/rect", {{"width", options_.width}, {"height", h}}); !r)
      return fail(r.error());
  }
  auto v = session_request("GET", "/screenshot");
  if (full_page)
    (void)session_request("POST", "/window/rect", {{"width", options_.width}, {"height", options_.height}});
  if (!v) return fail(v.error());
  auto png = base64_decode(v->get<std::string>());
  if (!png) return fail(png.error());
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::ofstream out(path, std::ios::binary);
  out.write(png->data(), static_cast<std::streamsize>(png->size()));
  if (!out) return fail(WebDriverErrc::command, "cannot write " + path);
  return {};
}

}  // namespace fb::test
