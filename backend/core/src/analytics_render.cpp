// The renderings of the figures: the JSON the API returns (both), the monthly report as a
// self-contained HTML page (inline SVG charts) and as CSV.
#include <algorithm>
#include <charconv>
#include <cstdio>

#include "fb/backend/analytics.hpp"

namespace fb::backend {
namespace {

nlohmann::json optional_json(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }
nlohmann::json optional_json(const std::optional<bool>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

nlohmann::json figures_json(const FirstResponseFigures& f) {
  return {{"rate", optional_json(f.rate())},  {"target", kFirstResponseTarget},
          {"met", optional_json(f.met())},    {"within_24h", f.within_24h},
          {"answered_late", f.answered_late}, {"unanswered_overdue", f.unanswered_overdue},
          {"eligible", f.eligible()},         {"pending", f.pending}};
}
nlohmann::json figures_json(const ClosedLoopFigures& f) {
  return {{"rate", optional_json(f.rate())}, {"target", kClosedLoopTarget},    {"met", optional_json(f.met())},
          {"resolved", f.resolved},          {"overdue_open", f.overdue_open}, {"eligible", f.eligible()},
          {"not_yet_due", f.not_yet_due}};
}
nlohmann::json figures_json(const CsatFigures& f) {
  return {{"mean", optional_json(f.mean())}, {"target", kCsatTarget},
          {"met", optional_json(f.met())},   {"answers", f.answers},
          {"satisfied", f.satisfied},        {"satisfied_share", optional_json(f.satisfied_share())}};
}
nlohmann::json figures_json(const SlaBreachFigures& f) {
  return {{"first_response", f.first_response}, {"resolution", f.resolution}, {"cases", f.cases}};
}
nlohmann::json points_json(const std::vector<VolumePoint>& points) {
  auto out = nlohmann::json::array();
  for (const auto& p : points)
    out.push_back({{"bucket_start_ms", p.bucket_start_ms}, {"key", p.key}, {"count", p.count}});
  return out;
}
nlohmann::json counts_json(const std::vector<CountByKey>& counts) {
  auto out = nlohmann::json::array();
  for (const auto& c : counts) out.push_back({{"key", c.key}, {"count", c.count}});
  return out;
}
nlohmann::json top_json(const std::vector<TopEntry>& entries, bool symptom) {
  auto out = nlohmann::json::array();
  for (const auto& e : entries) {
    nlohmann::json j = {{"key", e.key},
                        {"count", e.count},
                        {"previous_count", e.previous_count},
                        {"growth", optional_json(e.growth)},
                        {"by_model", counts_json(e.by_model)},
                        {"by_software_version", counts_json(e.by_software_version)}};
    if (symptom) {
      j["system"] = e.system;
      j["dtc"] = e.dtc;
      j["text"] = e.text;
    }
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

nlohmann::json to_json(const Dashboard& d) {
  nlohmann::json open = nlohmann::json::object();
  for (const auto& [state, n] : d.open_by_state) open[std::string(to_string(state))] = n;
  return {{"from_ms", d.query.from_ms},
          {"to_ms", d.query.to_ms},
          {"now_ms", d.query.now_ms},
          {"teams", d.query.teams},
          {"bucket", d.query.bucket == Bucket::day ? "day" : "week"},
          {"cases_created", d.cases_created},
          {"first_response_24h", figures_json(d.first_response)},
          {"closed_loop", figures_json(d.closed_loop)},
          {"csat", figures_json(d.csat)},
          {"sla_breaches", figures_json(d.sla_breaches)},
          {"open_cases", d.open_cases},
          {"open_by_state", open},
          {"volumes",
           {{"by_type", points_json(d.by_type)},
            {"by_system", points_json(d.by_system)},
            {"by_model", points_json(d.by_model)}}}};
}

nlohmann::json to_json(const MonthlyReport& r) {
  char month[16];
  std::snprintf(month, sizeof month, "%04d-%02d", r.year, r.month);
  return {{"month", month},
          {"from_ms", r.from_ms},
          {"to_ms", r.to_ms},
          {"previous_from_ms", r.previous_from_ms},
          {"now_ms", r.now_ms},
          {"cases", r.cases},
          {"previous_cases", r.previous_cases},
          {"first_response_24h", figures_json(r.first_response)},
          {"closed_loop", figures_json(r.closed_loop)},
          {"csat", figures_json(r.csat)},
          {"sla_breaches", figures_json(r.sla_breaches)},
          {"top_systems", top_json(r.top_systems, false)},
          {"top_symptoms", top_json(r.top_symptoms, true)}};
}

namespace {

struct Labels {
  const char* lang;
  const char* title;
  const char* summary;
  const char* figure;
  const char* value;
  const char* target;
  const char* status;
  const char* met;
  const char* missed;
  const char* no_data;
  const char* cases;
  const char* previous;
  const char* response;
  const char* closed_loop;
  const char* csat;
  const char* satisfied;
  const char* breaches;
  const char* top_systems;
  const char* top_symptoms;
  const char* system;
  const char* symptom;
  const char* count;
  const char* growth;
  const char* new_entry;
  const char* by_model;
  const char* by_version;
  const char* this_month;
  const char* last_month;
  const char* answers;
  const char* none;
  const char* footer;
};

constexpr Labels kEn{"en",
                     "High-frequency problems report",
                     "Figures of the month",
                     "Figure",
                     "Value",
                     "Target",
                     "Status",
                     "met",
                     "missed",
                     "no eligible cases",
                     "Cases created",
                     "previous month",
                     "24 h response rate",
                     "Closed-loop rate",
                     "Satisfaction (CSAT, 1-5)",
                     "Satisfied (4-5)",
                     "SLA breaches (response / resolution / cases)",
                     "Top systems",
                     "Top symptoms",
                     "System",
                     "Symptom",
                     "Cases",
                     "Growth",
                     "new",
                     "By model",
                     "By software version",
                     "this month",
                     "previous month",
                     "answers",
                     "No cases this month.",
                     "Cases created in the month (UTC), major cases left out. Definitions: docs/metrics.md."};

constexpr Labels kZh{"zh-CN",
                     "高频问题月报",
                     "本月指标",
                     "指标",
                     "数值",
                     "目标",
                     "状态",
                     "达标",
                     "未达标",
                     "暂无可统计工单",
                     "新建工单",
                     "上月",
                     "24小时响应率",
                     "闭环率",
                     "满意度（CSAT，1-5分）",
                     "满意（4-5分）占比",
                     "SLA超时（响应 / 解决 / 工单）",
                     "高频系统",
                     "高频问题",
                     "系统",
                     "问题",
                     "工单数",
                     "环比增长",
                     "新增",
                     "按车型",
                     "按软件版本",
                     "本月",
                     "上月",
                     "份答卷",
                     "本月无工单。",
                     "统计本月（UTC）新建的工单，不含重大问题汇总工单。指标定义见 docs/metrics.md。"};

const char* system_label_zh(std::string_view s) {
  static constexpr std::pair<std::string_view, const char*> kNames[] = {
      {"engine", "发动机"},       {"transmission", "变速箱"}, {"brakes", "制动"},         {"steering", "转向"},
      {"suspension", "悬架"},     {"tyres", "轮胎"},          {"electrical", "电气"},     {"battery", "电池"},
      {"electric_drive", "电驱"}, {"body", "车身"},           {"restraints", "安全约束"}, {"infotainment", "信息娱乐"},
      {"hvac", "空调"},           {"adas", "驾驶辅助"},       {"sales", "销售"},          {"service", "售后服务"},
      {"parts", "配件"},          {"charges", "费用"},        {"other", "其他"}};
  for (const auto& [k, v] : kNames)
    if (k == s) return v;
  return nullptr;
}

std::string escape_html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string percent(const std::optional<double>& v, const Labels& l) {
  return v ? format("%.1f %%", *v * 100.0) : std::string(l.no_data);
}

std::string growth_text(const TopEntry& e, const Labels& l) {
  if (!e.growth) return l.new_entry;
  return format("%+.1f %%", *e.growth * 100.0);
}

/// "brakes" -> "制动 brakes" in Chinese; a symptom keeps its DTC or text after the system.
std::string entry_label(const TopEntry& e, const Labels& l) {
  const char* zh = &l == &kZh ? system_label_zh(e.system) : nullptr;
  std::string out = zh ? std::string(zh) + " " + e.system : e.system;
  if (e.key != e.system) out += " · " + (e.dtc.empty() ? e.text : e.dtc);
  return out;
}

std::string status_cell(const std::optional<bool>& met, const Labels& l) {
  if (!met) return "<td class=\"na\">-</td>";
  return *met ? std::string("<td class=\"ok\">") + l.met + "</td>"
              : std::string("<td class=\"bad\">") + l.missed + "</td>";
}

std::string breakdown(const std::vector<CountByKey>& counts) {
  std::string out;
  for (const auto& c : counts) {
    if (!out.empty()) out += ", ";
    out += escape_html(c.key.empty() ? "-" : c.key) + " " + std::to_string(c.count);
  }
  return out;
}

/// Horizontal bars: this month (dark) over the previous month (light), one row per entry.
std::string bar_chart(const std::vector<TopEntry>& entries, const Labels& l, std::string_view title) {
  constexpr int kLabelWidth = 260, kBarWidth = 380, kRow = 30, kTop = 28, kWidth = kLabelWidth + kBarWidth + 60;
  std::int64_t max = 1;
  for (const auto& e : entries) max = std::max({max, e.count, e.previous_count});
  const int height = kTop + kRow * static_cast<int>(entries.size()) + 8;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(kWidth) + "\" height=\"" +
                    std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(kWidth) + " " +
                    std::to_string(height) + "\" role=\"img\" aria-label=\"" + escape_html(title) + "\">";
  svg += "<rect x=\"" + std::to_string(kLabelWidth) +
         "\" y=\"6\" width=\"12\" height=\"10\" class=\"cur\"/><text x=\"" + std::to_string(kLabelWidth + 16) +
         "\" y=\"15\">" + l.this_month + "</text>";
  svg += "<rect x=\"" + std::to_string(kLabelWidth + 110) +
         "\" y=\"6\" width=\"12\" height=\"10\" class=\"prev\"/><text x=\"" + std::to_string(kLabelWidth + 126) +
         "\" y=\"15\">" + l.last_month + "</text>";
  int y = kTop;
  for (const auto& e : entries) {
    const auto w = [&](std::int64_t n) { return std::to_string(static_cast<int>(kBarWidth * n / max)); };
    svg += "<text x=\"" + std::to_string(kLabelWidth - 8) + "\" y=\"" + std::to_string(y + 14) +
           "\" text-anchor=\"end\">" + escape_html(entry_label(e, l)) + "</text>";
    svg += "<rect x=\"" + std::to_string(kLabelWidth) + "\" y=\"" + std::to_string(y + 2) + "\" width=\"" + w(e.count) +
           "\" height=\"14\" class=\"cur\"/>";
    svg += "<rect x=\"" + std::to_string(kLabelWidth) + "\" y=\"" + std::to_string(y + 18) + "\" width=\"" +
           w(e.previous_count) + "\" height=\"6\" class=\"prev\"/>";
    svg += "<text x=\"" + std::to_string(kLabelWidth + 6 + kBarWidth * e.count / max) + "\" y=\"" +
           std::to_string(y + 14) + "\">" + std::to_string(e.count) + "</text>";
    y += kRow;
  }
  return svg + "</svg>";
}

std::string top_section(const std::vector<TopEntry>& entries, const Labels& l, const char* title, const char* what) {
  std::string out = std::string("<h2>") + title + "</h2>";
  if (entries.empty()) return out + "<p>" + l.none + "</p>";
  out += "<figure>" + bar_chart(entries, l, title) + "</figure>";
  out += std::string("<table><tr><th>#</th><th>") + what + "</th><th>" + l.count + "</th><th>" + l.previous +
         "</th><th>" + l.growth + "</th><th>" + l.by_model + "</th><th>" + l.by_version + "</th></tr>";
  int rank = 0;
  for (const auto& e : entries) {
    out += "<tr><td>" + std::to_string(++rank) + "</td><td>" + escape_html(entry_label(e, l)) +
           "</td><td class=\"n\">" + std::to_string(e.count) + "</td><td class=\"n\">" +
           std::to_string(e.previous_count) + "</td><td class=\"n\">" + growth_text(e, l) + "</td><td>" +
           breakdown(e.by_model) + "</td><td>" + breakdown(e.by_software_version) + "</td></tr>";
  }
  return out + "</table>";
}

std::string month_text(const MonthlyReport& r) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d", r.year, r.month);
  return buf;
}

std::string number(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : std::string();
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

}  // namespace

std::string render_monthly_html(const MonthlyReport& r, std::string_view lang) {
  const Labels& l = lang == "zh" ? kZh : kEn;
  const auto month = month_text(r);
  std::string h = std::string("<!DOCTYPE html>\n<html lang=\"") + l.lang + "\"><head><meta charset=\"utf-8\"><title>" +
                  l.title + " " + month + "</title><style>" +
                  "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
                  "td,th{border:1px solid #ccc;padding:4px "
                  "8px;text-align:left;vertical-align:top}td.n{text-align:right;white-space:nowrap}"
                  ".ok{color:#17692f;font-weight:bold}.bad{color:#b3261e;font-weight:bold}.na{color:#777}"
                  "svg text{font-size:12px;fill:#222}rect.cur{fill:#1f5fa8}rect.prev{fill:#9fc0e6}"
                  "footer{color:#666;font-size:smaller}" +
                  "</style></head><body>\n";
  h += std::string("<h1>") + l.title + " " + month + "</h1>\n<h2>" + l.summary + "</h2>\n";
  h += std::string("<table><tr><th>") + l.figure + "</th><th>" + l.value + "</th><th>" + l.target + "</th><th>" +
       l.status + "</th></tr>";
  h += std::string("<tr><td>") + l.cases + "</td><td class=\"n\">" + std::to_string(r.cases) + " (" + l.previous + " " +
       std::to_string(r.previous_cases) + ")</td><td></td><td></td></tr>";
  h += std::string("<tr><td>") + l.response + "</td><td class=\"n\">" + percent(r.first_response.rate(), l) + " (" +
       std::to_string(r.first_response.within_24h) + "/" + std::to_string(r.first_response.eligible()) +
       ")</td><td>&ge; " + format("%.0f %%", kFirstResponseTarget * 100) + "</td>" +
       status_cell(r.first_response.met(), l) + "</tr>";
  h += std::string("<tr><td>") + l.closed_loop + "</td><td class=\"n\">" + percent(r.closed_loop.rate(), l) + " (" +
       std::to_string(r.closed_loop.resolved) + "/" + std::to_string(r.closed_loop.eligible()) + ")</td><td>&ge; " +
       format("%.0f %%", kClosedLoopTarget * 100) + "</td>" + status_cell(r.closed_loop.met(), l) + "</tr>";
  h += std::string("<tr><td>") + l.csat + "</td><td class=\"n\">" +
       (r.csat.mean() ? format("%.2f", *r.csat.mean()) : std::string(l.no_data)) + " (" +
       std::to_string(r.csat.answers) + " " + l.answers + ")</td><td>&ge; " + format("%.1f", kCsatTarget) + "</td>" +
       status_cell(r.csat.met(), l) + "</tr>";
  h += std::string("<tr><td>") + l.satisfied + "</td><td class=\"n\">" + percent(r.csat.satisfied_share(), l) +
       "</td><td></td><td></td></tr>";
  h += std::string("<tr><td>") + l.breaches + "</td><td class=\"n\">" + std::to_string(r.sla_breaches.first_response) +
       " / " + std::to_string(r.sla_breaches.resolution) + " / " + std::to_string(r.sla_breaches.cases) +
       "</td><td></td><td></td></tr></table>\n";
  h += top_section(r.top_systems, l, l.top_systems, l.system) + "\n";
  h += top_section(r.top_symptoms, l, l.top_symptoms, l.symptom) + "\n";
  h += std::string("<footer>") + l.footer + "</footer>\n</body></html>\n";
  return h;
}

std::string render_monthly_csv(const MonthlyReport& r) {
  std::string out = "section,key,dimension,count,previous_count,growth,value\r\n";
  const auto row = [&](std::string_view section, std::string_view key, std::string_view dimension,
                       const std::string& count, const std::string& previous, const std::string& growth,
                       const std::string& value) {
    out += csv_field(section) + "," + csv_field(key) + "," + csv_field(dimension) + "," + count + "," + previous + "," +
           growth + "," + csv_field(value) + "\r\n";
  };
  const auto figure = [&](std::string_view key, const std::string& value) {
    row("figure", key, "", "", "", "", value);
  };
  const auto opt = [](const auto& v) { return v ? number(static_cast<double>(*v)) : std::string(); };
  figure("month", month_text(r));
  figure("cases", std::to_string(r.cases));
  figure("previous_cases", std::to_string(r.previous_cases));
  figure("first_response_24h_rate", opt(r.first_response.rate()));
  figure("first_response_24h_within", std::to_string(r.first_response.within_24h));
  figure("first_response_24h_eligible", std::to_string(r.first_response.eligible()));
  figure("first_response_24h_pending", std::to_string(r.first_response.pending));
  figure("closed_loop_rate", opt(r.closed_loop.rate()));
  figure("closed_loop_resolved", std::to_string(r.closed_loop.resolved));
  figure("closed_loop_eligible", std::to_string(r.closed_loop.eligible()));
  figure("csat_mean", opt(r.csat.mean()));
  figure("csat_answers", std::to_string(r.csat.answers));
  figure("csat_satisfied_share", opt(r.csat.satisfied_share()));
  figure("sla_breaches_first_response", std::to_string(r.sla_breaches.first_response));
  figure("sla_breaches_resolution", std::to_string(r.sla_breaches.resolution));
  figure("sla_breaches_cases", std::to_string(r.sla_breaches.cases));
  const auto entries = [&](std::string_view section, const std::vector<TopEntry>& list) {
    for (const auto& e : list) {
      row(section, e.key, "", std::to_string(e.count), std::to_string(e.previous_count),
          e.growth ? number(*e.growth) : std::string(), "");
      const auto by = [&](std::string_view suffix, const std::vector<CountByKey>& counts) {
        for (const auto& c : counts)
          row(std::string(section) + std::string(suffix), e.key, c.key, std::to_string(c.count), "", "", "");
      };
      by("_model", e.by_model);
      by("_software_version", e.by_software_version);
    }
  };
  entries("system", r.top_systems);
  entries("symptom", r.top_symptoms);
  return out;
}

}  // namespace fb::backend
