// The renderings of the figures: the JSON the API returns (both), the monthly report as a
// self-contained HTML page (inline SVG charts) and as CSV.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>

#include "fb/backend/analytics.hpp"
#include "fb/backend/visits.hpp"
#include "fb/common/utc_offset.hpp"

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
nlohmann::json figures_json(const ServiceVisitFigures& f) {
  nlohmann::json mean = nlohmann::json::object(), median = nlohmann::json::object(), visits = nlohmann::json::object();
  for (const auto& h : f.stage_hours) {
    mean[h.stage] = optional_json(h.mean);
    median[h.stage] = optional_json(h.median);
    visits[h.stage] = h.visits;
  }
  auto dealers = nlohmann::json::array();
  for (const auto& d : f.dealers) {
    dealers.push_back({{"dealer_code", d.dealer_code},
                       {"dealer_name", d.dealer_name},
                       {"surveys", d.surveys},
                       {"average", d.average()}});
  }
  return {{"visits_handed_over", f.handed_over},
          {"first_time_fix_rate", optional_json(f.first_time_fix_rate())},
          {"comeback_rate", optional_json(f.comeback_rate())},
          {"first_time_fixes", f.first_time_fixes},
          {"comebacks", f.comebacks},
          {"eligible", f.eligible()},
          {"pending", f.pending},
          {"stage_hours", mean},
          {"stage_median_hours", median},
          {"stage_visits", visits},
          {"dealer_satisfaction", dealers}};
}
nlohmann::json figures_json(const CallbackFigures& f) {
  return {{"requested", f.requested},
          {"picked_up", f.picked_up},
          {"within_target", f.within_target},
          {"overdue", f.overdue},
          {"eligible", f.eligible()},
          {"pending", f.pending},
          {"within_target_share", optional_json(f.within_target_share())},
          {"target_s", kCallbackTargetMs / 1000},
          {"pickup_p50_s", optional_json(f.pickup_p50_s)},
          {"pickup_p90_s", optional_json(f.pickup_p90_s)}};
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
          {"utc_offset_ms", d.utc_offset_ms},
          {"cases_created", d.cases_created},
          {"first_response_24h", figures_json(d.first_response)},
          {"closed_loop", figures_json(d.closed_loop)},
          {"csat", figures_json(d.csat)},
          {"sla_breaches", figures_json(d.sla_breaches)},
          {"service_visits", figures_json(d.service_visits)},
          {"callbacks", figures_json(d.callbacks)},
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
          {"utc_offset_ms", r.utc_offset_ms},
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
          {"service_visits", figures_json(r.service_visits)},
          {"callbacks", figures_json(r.callbacks)},
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
  const char* visits_title;
  const char* visits_cohort;
  const char* handed_over;
  const char* first_time_fix;
  const char* comeback;
  const char* fix_pending;
  const char* stage;
  const char* mean_hours;
  const char* median_hours;
  const char* visits;
  const char* dealers_title;
  const char* dealer;
  const char* surveys;
  const char* average;
  const char* no_visits;
  const char* callbacks_title;
  const char* callbacks_cohort;
  const char* requested;
  const char* picked_up;
  const char* within_target;
  const char* pickup_times;
  const char* waiting_overdue;
  const char* no_callbacks;
  std::array<const char*, 5> stages;  // checked_in, inspection, diagnosis, repair, quality_check
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
                     "Cases created in the month (UTC), major cases left out. Definitions: docs/metrics.md.",
                     "Service visits",
                     "Visits handed over in the month (UTC).",
                     "Visits handed over",
                     "First-time fix rate (no repeat visit within 30 days)",
                     "Comeback rate",
                     "30 days not over yet",
                     "Stage",
                     "Mean (h)",
                     "Median (h)",
                     "Visits",
                     "Satisfaction per dealer",
                     "Dealer",
                     "Surveys",
                     "Average (1-5)",
                     "No visits handed over this month.",
                     "Live callbacks",
                     "Callbacks requested in the month (UTC).",
                     "Requested",
                     "Picked up",
                     "Picked up within 60 s",
                     "Pick-up time (median / 90th percentile)",
                     "Still waiting past 60 s",
                     "No callbacks requested this month.",
                     {"Check-in", "Inspection", "Diagnosis", "Repair", "Quality check"}};

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
                     "统计本月（UTC）新建的工单，不含重大问题汇总工单。指标定义见 docs/metrics.md。",
                     "售后维修",
                     "统计本月（UTC）交车的维修预约。",
                     "交车数",
                     "一次修复率（30天内无同系统返修）",
                     "返修率",
                     "未满30天",
                     "环节",
                     "平均（小时）",
                     "中位数（小时）",
                     "预约数",
                     "经销商满意度",
                     "经销商",
                     "答卷数",
                     "平均分（1-5分）",
                     "本月无交车。",
                     "实时回电",
                     "统计本月（UTC）发起的回电请求。",
                     "请求数",
                     "已接起",
                     "60秒内接起占比",
                     "接起用时（中位数 / 90分位）",
                     "超过60秒仍在等待",
                     "本月无回电请求。",
                     {"到店", "检查", "诊断", "维修", "质检"}};

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

const char* stage_label(std::string_view stage, const Labels& l) {
  static constexpr std::string_view kStages[] = {"checked_in", "inspection", "diagnosis", "repair", "quality_check"};
  for (std::size_t i = 0; i < std::size(kStages); ++i)
    if (kStages[i] == stage) return l.stages[i];
  return nullptr;
}

std::string hours_text(const std::optional<double>& h) { return h ? format("%.1f", *h) : std::string("-"); }
std::string seconds_text(const std::optional<double>& s) { return s ? format("%.0f s", *s) : std::string("-"); }

/// `text` with its "UTC" as the report's clock (`zone`, utc_offset_text()).
std::string in_zone(std::string_view text, const std::string& zone) {
  std::string out(text);
  if (const auto at = out.find("UTC"); at != std::string::npos) out.replace(at, 3, zone);
  return out;
}

std::string visits_section(const ServiceVisitFigures& f, const Labels& l, const std::string& zone) {
  std::string out = std::string("<h2>") + l.visits_title + "</h2><p>" + in_zone(l.visits_cohort, zone) + "</p>";
  if (f.handed_over == 0) return out + "<p>" + l.no_visits + "</p>";
  out += std::string("<table><tr><th>") + l.figure + "</th><th>" + l.value + "</th></tr>";
  out += std::string("<tr><td>") + l.handed_over + "</td><td class=\"n\">" + std::to_string(f.handed_over) +
         "</td></tr>";
  out += std::string("<tr><td>") + l.first_time_fix + "</td><td class=\"n\">" + percent(f.first_time_fix_rate(), l) +
         " (" + std::to_string(f.first_time_fixes) + "/" + std::to_string(f.eligible()) + ")</td></tr>";
  out += std::string("<tr><td>") + l.comeback + "</td><td class=\"n\">" + percent(f.comeback_rate(), l) + " (" +
         std::to_string(f.comebacks) + "/" + std::to_string(f.eligible()) + ")</td></tr>";
  out += std::string("<tr><td>") + l.fix_pending + "</td><td class=\"n\">" + std::to_string(f.pending) +
         "</td></tr></table>";
  out += std::string("<table><tr><th>") + l.stage + "</th><th>" + l.mean_hours + "</th><th>" + l.median_hours +
         "</th><th>" + l.visits + "</th></tr>";
  for (const auto& h : f.stage_hours) {
    const char* label = stage_label(h.stage, l);
    out += "<tr><td>" + (label ? std::string(label) + " " : std::string()) + escape_html(h.stage) +
           "</td><td class=\"n\">" + hours_text(h.mean) + "</td><td class=\"n\">" + hours_text(h.median) +
           "</td><td class=\"n\">" + std::to_string(h.visits) + "</td></tr>";
  }
  out += "</table>";
  out += std::string("<h3>") + l.dealers_title + "</h3>";
  if (f.dealers.empty()) return out + "<p>-</p>";
  out += std::string("<table><tr><th>") + l.dealer + "</th><th>" + l.surveys + "</th><th>" + l.average + "</th></tr>";
  for (const auto& d : f.dealers) {
    out += "<tr><td>" +
           escape_html(d.dealer_name.empty() ? d.dealer_code : d.dealer_name + " (" + d.dealer_code + ")") +
           "</td><td class=\"n\">" + std::to_string(d.surveys) + "</td><td class=\"n\">" + format("%.2f", d.average()) +
           "</td></tr>";
  }
  return out + "</table>";
}

std::string callbacks_section(const CallbackFigures& f, const Labels& l, const std::string& zone) {
  std::string out = std::string("<h2>") + l.callbacks_title + "</h2><p>" + in_zone(l.callbacks_cohort, zone) + "</p>";
  if (f.requested == 0) return out + "<p>" + l.no_callbacks + "</p>";
  out += std::string("<table><tr><th>") + l.figure + "</th><th>" + l.value + "</th></tr>";
  out += std::string("<tr><td>") + l.requested + "</td><td class=\"n\">" + std::to_string(f.requested) + "</td></tr>";
  out += std::string("<tr><td>") + l.picked_up + "</td><td class=\"n\">" + std::to_string(f.picked_up) + "</td></tr>";
  out += std::string("<tr><td>") + l.within_target + "</td><td class=\"n\">" + percent(f.within_target_share(), l) +
         " (" + std::to_string(f.within_target) + "/" + std::to_string(f.eligible()) + ")</td></tr>";
  out += std::string("<tr><td>") + l.pickup_times + "</td><td class=\"n\">" + seconds_text(f.pickup_p50_s) + " / " +
         seconds_text(f.pickup_p90_s) + "</td></tr>";
  out += std::string("<tr><td>") + l.waiting_overdue + "</td><td class=\"n\">" + std::to_string(f.overdue) +
         "</td></tr>";
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

/// Whether a spreadsheet would read `s` as a formula: it starts with = + - @ (or a tab or CR
/// before one) and is not simply a number.
bool reads_as_formula(std::string_view s) {
  if (s.empty() || std::string_view("=+-@\t\r").find(s.front()) == std::string_view::npos) return false;
  double ignored = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), ignored);
  return ec != std::errc{} || end != s.data() + s.size();
}

/// One CSV cell (RFC 4180 quoting). A value from a car or a dealer (a model, a software version,
/// a dealer's name) that a spreadsheet would run as a formula gets a leading apostrophe, which
/// Excel and WPS show as text (OWASP "CSV injection").
std::string csv_field(std::string_view s) {
  std::string cell = reads_as_formula(s) ? "'" + std::string(s) : std::string(s);
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string out = "\"";
  for (char ch : cell) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
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
  const auto zone = utc_offset_text(r.utc_offset_ms);
  h += visits_section(r.service_visits, l, zone) + "\n";
  h += callbacks_section(r.callbacks, l, zone) + "\n";
  h += std::string("<footer>") + in_zone(l.footer, zone) + "</footer>\n</body></html>\n";
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
  figure("clock", utc_offset_text(r.utc_offset_ms));
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
  const auto& v = r.service_visits;
  figure("visits_handed_over", std::to_string(v.handed_over));
  figure("first_time_fix_rate", opt(v.first_time_fix_rate()));
  figure("first_time_fixes", std::to_string(v.first_time_fixes));
  figure("comeback_rate", opt(v.comeback_rate()));
  figure("comebacks", std::to_string(v.comebacks));
  figure("first_time_fix_eligible", std::to_string(v.eligible()));
  figure("first_time_fix_pending", std::to_string(v.pending));
  const auto& cb = r.callbacks;
  figure("callbacks_requested", std::to_string(cb.requested));
  figure("callbacks_picked_up", std::to_string(cb.picked_up));
  figure("callbacks_within_target", std::to_string(cb.within_target));
  figure("callbacks_eligible", std::to_string(cb.eligible()));
  figure("callbacks_within_target_share", opt(cb.within_target_share()));
  figure("callbacks_pickup_p50_s", opt(cb.pickup_p50_s));
  figure("callbacks_pickup_p90_s", opt(cb.pickup_p90_s));
  for (const auto& h : v.stage_hours) {
    row("stage_hours", h.stage, "mean", std::to_string(h.visits), "", "", opt(h.mean));
    row("stage_hours", h.stage, "median", std::to_string(h.visits), "", "", opt(h.median));
  }
  for (const auto& d : v.dealers)
    row("dealer_satisfaction", d.dealer_code, d.dealer_name, std::to_string(d.surveys), "", "", number(d.average()));
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
