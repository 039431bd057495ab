// The web console in headless Chromium, driven over WebDriver (tests/support/webdriver.hpp).
// Skipped when chromium or chromedriver is absent. Screenshots: FB_ARTIFACTS_DIR/*.png.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>

#include "process.hpp"
#include "webdriver.hpp"

namespace fb::test {
namespace {

// Unwraps a WebDriver result; a failure ends the test with the WebDriver's message.
template <typename T>
T must(Result<T> r) {
  if (!r) throw std::runtime_error(r.error().what());
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

std::unique_ptr<WebDriver> start_browser() {
  auto wd = WebDriver::start();
  if (!wd) throw std::runtime_error(wd.error().what());
  return std::move(*wd);
}

#define SKIP_WITHOUT_BROWSER()                                        \
  if (auto missing = WebDriver::missing_binaries(); !missing.empty()) \
  GTEST_SKIP() << "headless Chromium unavailable (" << missing        \
               << " missing; scripts/install-deps.sh installs chromium and chromium-driver)"

TEST(WebDriverClient, DrivesAStaticPageFindsTypesClicksWaitsAndTakesAScreenshot) {
  SKIP_WITHOUT_BROWSER();
  TempDir dir("fbwd");
  std::ofstream(dir / "page.html") << R"html(<!doctype html><meta charset="utf-8"><title>t</title>
<label>Name <input data-testid="name"></label>
<button data-testid="go" onclick="setTimeout(() => {
  const p = document.createElement('p'); p.dataset.testid = 'out';
  p.textContent = 'hello ' + document.querySelector('[data-testid=name]').value; document.body.append(p);
}, 300)">Go</button>)html";
  auto wd = start_browser();
  must(wd->navigate("file://" + (dir / "page.html")));
  must(wd->type("[data-testid=name]", "车主 driver"));
  must(wd->click("[data-testid=go]"));
  // The paragraph appears only after the page's timer: the wait polls for it.
  EXPECT_EQ(must(wd->text("[data-testid=out]")), "hello 车主 driver");
  EXPECT_EQ(must(wd->execute("return document.title + arguments[0];", {"!"})), "t!");

  auto missing = wd->find("[data-testid=nothing]");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, WebDriverErrc::no_such_element);
  EXPECT_NE(missing.error().detail.find("no such element"), std::string::npos) << missing.error().detail;

  const auto png = dir / "page.png";
  must(wd->screenshot(png));
  std::ifstream in(png, std::ios::binary);
  std::string magic(8, '\0');
  in.read(magic.data(), 8);
  EXPECT_EQ(magic, std::string("\x89PNG\r\n\x1a\n", 8));
}

}  // namespace
}  // namespace fb::test
