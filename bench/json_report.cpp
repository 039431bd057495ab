#include "json_report.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <system_error>

#include <nlohmann/json.hpp>

namespace fb::bench {

void JsonReport::add(const std::string& name, double value, double baseline, const std::string& unit) {
  const auto same = [&](const Measure& m) { return m.name == name; };
  if (auto it = std::find_if(measures_.begin(), measures_.end(), same); it != measures_.end()) {
    *it = {name, value, baseline, unit};
    return;
  }
  measures_.push_back({name, value, baseline, unit});
}

std::string JsonReport::dump() const {
  // ordered_json: the file lists the measures in the order of the printed summary.
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  // JSON has no NaN or infinity: a number that is not finite is written as null.
  const auto number = [](double v) { return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(); };
  for (const auto& m : measures_) {
    out[m.name] = {{"value", number(m.value)},
                   {"baseline", number(m.baseline)},
                   {"ratio", m.baseline != 0 ? number(m.value / m.baseline) : nlohmann::ordered_json()},
                   {"unit", m.unit}};
  }
  return out.dump(2) + "\n";
}

Result<void> JsonReport::write(const std::filesystem::path& file) const {
  auto tmp = file;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return fail(StorageErrc::open_failed, tmp.string() + ": " + std::strerror(errno));
    f << dump();
    f.close();
    if (!f) return fail(StorageErrc::io, tmp.string() + ": write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return fail(StorageErrc::io, file.string() + ": " + ec.message());
  return {};
}

}  // namespace fb::bench
