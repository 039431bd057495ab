#include "fb/api/api.hpp"

#include "visit_json.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fb/api/errors.hpp"
#include "fb/backend/analytics.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/config.hpp"
#include "fb/common/ids.hpp"
#include "fb/common/series_codec.hpp"
#include "fb/common/utf8.hpp"

namespace fb::api {

namespace asio = boost::asio;
using json = nlohmann::json;
using backend::CaseState;
using backend::CaseSummary;

namespace {

constexpr std::size_t kMaxTextChars = 4000;

/// The model year a VIN's 10th character names (ISO 3779 / GB 16735: A = 1980 or 2010, ...,
/// Y = 2000 or 2030, 1..9 = 2001..2009 or 2031..2039), the latest one not after next year
/// (model years run ahead); nullopt when that character is no year code. Stable, unlike "this
/// year": a client's retry a year later is still the same report. Not across the region's New
/// Year for a code naming next year's model: sent at 23:50 on 31 December and retried at 00:10,
/// 'W' reads 1998, then 2028, and the retry is refused as another report (409); such a client
/// sends `model_year`.
std::optional<std::uint32_t> model_year_of_vin(std::string_view vin, int this_year) {
  constexpr std::string_view kCodes = "ABCDEFGHJKLMNPRSTVWXY123456789";
  if (vin.size() != 17) return std::nullopt;
  const auto at = kCodes.find(vin[9]);
  if (at == std::string_view::npos) return std::nullopt;
  auto year = 1980 + static_cast<int>(at);
  while (year + 30 <= this_year + 1) year += 30;
  return static_cast<std::uint32_t>(year);
}

HttpResponse json_response(int status, const json& body) {
  return HttpResponse{status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace), {}};
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "Error";
  }
}

/// "field 'to': ...", "query 'limit': ..." or "report.vin: ..." (the wire validator's form) name
/// the field or parameter at fault.
std::string field_of(std::string_view detail) {
  if (detail.starts_with("report.")) {
    const auto rest = detail.substr(7);
    return std::string(rest.substr(0, rest.find(':')));
  }
  auto at = detail.find("field ");
  auto skip = std::size_t{6};
  if (at == std::string_view::npos) {
    at = detail.find("query '");
    skip = 6;
  }
  if (at == std::string_view::npos) return {};
  auto rest = detail.substr(at + skip);
  if (rest.starts_with('\'')) {
    auto end = rest.find('\'', 1);
    return end == std::string_view::npos ? std::string() : std::string(rest.substr(1, end - 1));
  }
  auto end = rest.find(':');
  return end == std::string_view::npos ? std::string() : std::string(rest.substr(0, end));
}

HttpResponse problem(const Error& e) {
  const int status = http_status(e);
  // A server-side failure's detail names files and SQL: it goes to the log, not to the client.
  if (status >= 500) spdlog::error("api: {}", e.what());
  json body = {{"type", "about:blank"},
               {"title", reason_phrase(status)},
               {"status", status},
               // Not "nothing was changed": a commit whose answer was lost may have been saved.
               {"detail", status >= 500 ? std::string("the server could not finish it (see its log): read it again "
                                                      "before trying again, it may have been saved")
                          : e.detail.empty() ? e.code.message()
                                             : e.detail},
               {"code", e.code.category().name() + std::string(":") + e.code.message()}};
  if (auto f = field_of(e.detail); !f.empty()) {
    body["field"] = f;
  } else if (e.code == make_error_code(backend::VisitErrc::invalid_request)) {
    // The visit book names the field first: "slots[1].end_ms: ...", "passed: ...".
    const auto colon = e.detail.find(": ");
    const auto name = std::string_view(e.detail).substr(0, colon);
    if (colon != std::string::npos && !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '[' || c == ']';
        }))
      body["field"] = std::string(name);
  }
  auto r = json_response(status, body);
  r.content_type = "application/problem+json";
  if (status == 401) r.headers["WWW-Authenticate"] = "Bearer";
  return r;
}

/// A request's JSON body, checked field by field: unknown fields and wrong types are errors
/// naming the field.
class Body {
 public:
  static Result<Body> parse(const HttpRequest& r, std::initializer_list<std::string_view> allowed) {
    const auto type = r.header("content-type");
    if (type.rfind("application/json", 0) != 0) {
      return fail(ApiErrc::unsupported_media, "send the body as application/json (got '" + type + "')");
    }
    json doc;
    try {
      doc = json::parse(r.body);
    } catch (const json::parse_error& e) {
      return fail(ApiErrc::bad_request, "malformed JSON at byte " + std::to_string(e.byte));
    } catch (const json::exception& e) {  // out_of_range: a number like 1e999 (found by fuzz_http)
      return fail(ApiErrc::bad_request, std::string("malformed JSON: ") + e.what());
    }
    if (!doc.is_object()) return fail(ApiErrc::bad_request, "the body must be a JSON object");
    for (const auto& [key, value] : doc.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        return fail(ApiErrc::bad_request, "field '" + key + "': unknown field (expected " + list + ")");
      }
    }
    return Body(std::move(doc));
  }

  /// A string field: absent is "" unless `required`; at most `max_chars` characters.
  Result<std::string> text(std::string_view name, bool required, std::size_t max_chars = kMaxTextChars) const {
    auto it = doc_.find(name);
    if (it == doc_.end() || it->is_null()) {
      if (required) return fail(ApiErrc::bad_request, "field '" + std::string(name) + "': required");
      return std::string();
    }
    if (!it->is_string()) return fail(ApiErrc::bad_request, "field '" + std::string(name) + "': expected a string");
    auto s = it->get<std::string>();
    if (required && s.empty())
      return fail(ApiErrc::bad_request, "field '" + std::string(name) + "': must not be empty");
    if (!is_valid_utf8(s)) return fail(ApiErrc::bad_request, "field '" + std::string(name) + "': not valid UTF-8");
    if (!is_valid_text(s)) return fail(ApiErrc::bad_request, "field '" + std::string(name) + "': U+0000 is not text");
    if (utf8_length(s) > max_chars) {
      return fail(ApiErrc::bad_request,
                  "field '" + std::string(name) + "': longer than " + std::to_string(max_chars) + " characters");
    }
    return s;
  }
  const json* object(std::string_view name) const {
    auto it = doc_.find(name);
    return it == doc_.end() || it->is_null() ? nullptr : &*it;
  }
  const json& doc() const { return doc_; }

 private:
  explicit Body(json doc) noexcept : doc_(std::move(doc)) {}
  json doc_;
};

json opt(const std::optional<std::int64_t>& v) { return v ? json(*v) : json(nullptr); }

json case_json(const CaseSummary& c, std::int64_t now_ms) {
  json allowed = json::array();
  for (const auto& e : vocabulary<CaseState>()) {
    if (backend::can_transition(c.state, e.value)) allowed.push_back(e.key);
  }
  const bool open = backend::is_open(c.state);
  return {{"case_number", c.case_number},
          {"vin", c.vin},
          {"type", to_string(c.type)},
          {"priority", to_string(c.priority)},
          {"system", to_string(c.system)},
          {"team", c.team},
          {"collaborators", c.collaborators},
          {"state", to_string(c.state)},
          {"created_ms", c.created_ms},
          {"first_reply_due_ms", c.first_reply_due_ms},
          {"resolution_due_ms", c.resolution_due_ms},
          {"first_response_ms", opt(c.first_response_ms)},
          {"resolved_ms", opt(c.resolved_ms)},
          {"assignee", c.assignee},
          {"language", c.language},
          {"channel", c.channel},
          {"model", c.model},
          {"software_version", c.software_version},
          {"parent_case_number", c.parent_case_number},
          {"major", c.major},
          {"reports", c.reports},
          {"needs_triage", c.needs_triage && open},
          {"sla",
           {{"state", to_string(backend::sla_state(c, now_ms))},
            {"next_due_ms", open ? json(backend::next_due_ms(c)) : json(nullptr)}}},
          {"allowed", allowed}};
}

double round_to(double v, double step) { return std::round(v / step) * step; }

json report_json(const backend::StoredReport& stored, const Principal& who) {
  json out = {{"report_id", stored.report_id}, {"received_ms", stored.received_ms}, {"channel", stored.channel}};
  if (stored.payload.empty()) {
    out["erased"] = true;
    return out;
  }
  auto env = codec::decode(stored.payload);
  if (!env || !env->has_report()) {
    out["error"] = env ? "not a report" : env.error().what();
    return out;
  }
  const auto& r = env->report();
  out["car_time_ms"] = r.car_time_ms();
  out["source"] = r.source() == wire::SOURCE_TELEMATICS      ? "telematics"
                  : r.source() == wire::SOURCE_OTHER_CHANNEL ? "other_channel"
                                                             : "driver";
  out["category"] = to_string(r.category());
  out["language"] = r.language();
  out["text"] = r.text();
  out["dtcs"] = json(std::vector<std::string>(r.dtcs().begin(), r.dtcs().end()));
  out["odometer_km"] = r.odometer_km();
  out["model"] = r.model();
  out["software_version"] = r.software_version();
  out["consent"] = {{"location", r.consent().location()},
                    {"diagnostics", r.consent().diagnostics()},
                    {"contact", r.consent().contact()}};
  json ecus = json::object();
  for (const auto& [ecu, version] : r.ecu_software()) ecus[ecu] = version;
  out["ecu_software"] = ecus;
  out["location"] = nullptr;
  if (r.has_location() && r.consent().location()) {
    switch (location_view(who)) {
      case LocationView::precise:
        out["location"] = {{"lat", r.location().latitude()}, {"lon", r.location().longitude()}};
        break;
      case LocationView::coarse:
        out["location"] = {{"lat", round_to(r.location().latitude(), 0.1)},
                           {"lon", round_to(r.location().longitude(), 0.1)},
                           {"coarsened", true}};
        break;
      case LocationView::hidden: out["location"] = {{"masked", true}}; break;
    }
  }
  if (r.has_snapshot()) {
    json signals = json::array();
    for (const auto& s : r.snapshot().signals()) {
      // Decoded whatever the wire form: the JSON is the same for legacy and compact series.
      std::vector<std::int64_t> t_ms;
      std::vector<double> values;
      json signal = {{"path", s.path()}, {"encoding", series::is_compact(s) ? "compact" : "legacy"}};
      if (auto points = series::decode(s)) {
        for (const auto& p : *points) {
          t_ms.push_back(p.t_ms);
          values.push_back(p.value);
        }
        if (series::is_compact(s)) signal["resolution"] = s.resolution();
      } else {
        signal["error"] = points.error().detail;  // stored before ingest checked the form
      }
      signal["t_ms"] = std::move(t_ms);
      signal["values"] = std::move(values);
      signals.push_back(std::move(signal));
    }
    out["snapshot"] = {{"window_start_ms", r.snapshot().window_start_ms()},
                       {"window_end_ms", r.snapshot().window_end_ms()},
                       {"signals", signals}};
  } else {
    out["snapshot"] = nullptr;
  }
  out["snapshot_lost"] = r.snapshot_lost();
  return out;
}

json detail_json(const backend::CaseDetail& d, const Principal& who, std::int64_t now_ms) {
  json reports = json::array();
  for (const auto& r : d.reports) reports.push_back(report_json(r, who));
  json events = json::array();
  for (const auto& e : d.events) {
    std::string detail = e.detail;
    // A logged call's note is the driver's personal data (erased with their number, privacy.md):
    // masked for the roles that see contacts masked, as GET /callbacks does.
    if (e.kind == "callback" && !sees_contact(who)) {
      auto parsed = json::parse(detail, nullptr, false);
      if (parsed.is_object() && parsed.contains("note")) {
        parsed.erase("note");
        parsed["masked"] = true;
        detail = parsed.dump();
      }
    }
    events.push_back({{"at_ms", e.at_ms}, {"kind", e.kind}, {"actor", e.actor}, {"detail", std::move(detail)}});
  }
  json notifications = json::array();
  for (std::size_t i = 0; i < d.notifications.size(); ++i) {
    const auto& n = d.notifications[i];
    json item = {{"id", n.id},
                 {"event", n.event},
                 {"state", n.state},
                 {"created_ms", n.created_ms},
                 {"delivered_ms", n.delivered_ms ? json(n.delivered_ms) : json(nullptr)},
                 {"read_ms", n.read_ms ? json(n.read_ms) : json(nullptr)},
                 {"attempts", n.attempts},
                 {"carried_by_ack", n.carried_by_ack}};
    if (auto env = codec::decode(d.notification_payloads[i]); env && env->has_notification()) {
      item["title"] = env->notification().title();
      item["text"] = env->notification().text();
    }
    notifications.push_back(std::move(item));
  }
  json contact = nullptr;
  if (d.contact) {
    contact = sees_contact(who) ? json{{"name", d.contact->name}, {"phone", d.contact->phone}}
                                : json{{"name", mask_name(d.contact->name)},
                                       {"phone", mask_phone(d.contact->phone)},
                                       {"masked", true}};
  }
  json survey = nullptr;
  if (d.survey) survey = {{"score", d.survey->first}, {"comment", d.survey->second}};
  return {{"case", case_json(d.c, now_ms)}, {"reports", reports}, {"events", events},
          {"notifications", notifications}, {"contact", contact}, {"survey", survey}};
}

/// "a,b,c" -> {a, b, c}, each a key of E. Errors name the parameter.
template <HasVocabulary E>
Result<std::vector<E>> parse_list(std::string_view param, std::string_view text) {
  std::vector<E> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    const auto item = text.substr(start, end - start);
    auto v = parse<E>(item);
    if (!v) {
      return fail(ApiErrc::bad_request, "query '" + std::string(param) + "': unknown " +
                                            std::string(Vocabulary<E>::name) + " '" + std::string(item) + "'");
    }
    out.push_back(*v);
    start = end + 1;
  }
  return out;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string content_type_of(const std::filesystem::path& p) {
  const auto ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  return "application/octet-stream";
}

/// Writes a file through a temporary and a rename, so a reader never sees half of it.
Result<void> write_atomically(const std::filesystem::path& path, std::string_view text) {
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return fail(StorageErrc::io, "cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return fail(StorageErrc::io, "cannot replace " + path.string() + ": " + ec.message());
  return {};
}

}  // namespace

struct Api::Impl {
  /// A connection on the case store and the strand that owns it.
  struct Reader {
    asio::any_io_executor strand;
    std::unique_ptr<backend::CaseStore> store;
  };
  Impl(const asio::any_io_executor& executor, const Clock& c, backend::Service& s,
       std::vector<std::unique_ptr<backend::CaseStore>> stores, std::unique_ptr<backend::Analytics> a, TokenStore t,
       ApiOptions o)
      : rules_strand(asio::make_strand(executor)),
        analytics_strand(asio::make_strand(executor)),
        clock(c),
        service(s),
        analytics(std::move(a)),
        tokens(std::move(t), o.tokens_file),
        options(std::move(o)) {
    for (auto& store : stores) readers.push_back(Reader{asio::make_strand(executor), std::move(store)});
  }

  std::vector<Reader> readers;
  std::atomic<std::size_t> next_reader{0};
  asio::any_io_executor rules_strand;      // the rule files' reads and edits, one at a time
  asio::any_io_executor analytics_strand;  // owns `analytics`
  const Clock& clock;
  backend::Service& service;
  std::unique_ptr<backend::Analytics> analytics;  // may be null: no dashboard
  LiveTokens tokens;
  const ApiOptions options;
  std::map<std::string, std::pair<std::string, std::string>> files;  // console: name -> (type, bytes)
  LatencyHistogram request_latency;
  std::array<std::atomic<std::uint64_t>, 6> responses{};  // by status class 1xx..5xx (index 1..5)

  std::int64_t now() const { return clock.epoch_ms(); }

  void respond_counted(const Responder& respond, HttpResponse r, Clock::SteadyTime started) {
    const auto cls = std::clamp(r.status / 100, 1, 5);
    responses[static_cast<std::size_t>(cls)].fetch_add(1, std::memory_order_relaxed);
    request_latency.observe(std::chrono::duration<double, std::milli>(clock.steady_now() - started).count());
    respond(std::move(r));
  }

  /// Runs f(store) on the next reader's strand, round robin.
  template <typename F>
  void on_reader(F f) {
    auto& r = readers[next_reader.fetch_add(1, std::memory_order_relaxed) % readers.size()];
    asio::post(r.strand, [f = std::move(f), store = r.store.get()]() mutable { f(*store); });
  }
  template <typename F>
  void on_rules(F f) {
    asio::post(rules_strand, std::move(f));
  }

  // ---- routing ----

  void handle(const HttpRequest& req, Responder raw) {
    const auto started = clock.steady_now();
    Responder respond = [this, raw = std::move(raw), started](HttpResponse r) {
      respond_counted(raw, std::move(r), started);
    };
    const auto& m = req.method;
    const auto parts = split_path(req.path);
    if (req.path == "/healthz" && m == "GET") return respond(json_response(200, {{"status", "ok"}}));
    if (req.path == "/readyz" && m == "GET") return ready(respond);
    if (req.path == "/metrics" && m == "GET") return metrics(respond);
    if (req.path == "/openapi.json" && m == "GET") {
      return respond(HttpResponse{200, "application/json", std::string(openapi_document()), {}});
    }
    if (parts.empty() || parts[0] == "console" || parts[0] == "index.html") return static_file(req, parts, respond);
    if (parts.size() < 2 || parts[0] != "api" || parts[1] != "v1") {
      return respond(problem(Error(ApiErrc::not_found, "no such resource: " + req.path)));
    }

    const auto auth = req.header("authorization");
    if (auth.size() < 7 || !std::equal(auth.begin(), auth.begin() + 7, "bearer ", [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      return respond(problem(Error(ApiErrc::unauthorized, "send 'Authorization: Bearer <token>'")));
    }
    auto who = tokens.authenticate(std::string_view(auth).substr(7));
    if (!who) return respond(problem(Error(ApiErrc::unauthorized, "unknown token")));

    const std::vector<std::string> route(parts.begin() + 2, parts.end());
    const auto is = [&](std::initializer_list<std::string_view> shape, std::string_view method) {
      if (m != method || route.size() != shape.size()) return false;
      std::size_t i = 0;
      for (auto s : shape) {
        if (s != "*" && route[i] != s) return false;
        ++i;
      }
      return true;
    };
    if (is({"me"}, "GET")) {
      return respond(json_response(200, {{"name", who->name},
                                         {"role", to_string(who->role)},
                                         {"team", who->team},
                                         {"utc_offset_ms", options.utc_offset_ms}}));
    }
    if (who->role == Role::dealer && !is({"me"}, "GET") && (route.empty() || route[0] != "visits")) {
      return respond(problem(Error(ApiErrc::forbidden, "a dealer sees its service visits only (/api/v1/visits)")));
    }
    if (is({"visits"}, "GET")) return list_visits(req, *who, respond);
    if (is({"visits", "*"}, "GET")) return get_visit(route[1], *who, respond);
    if (route.size() == 3 && route[0] == "visits" && m == "POST") {
      return visit_action(route[1], route[2], req, *who, respond);
    }
    if (is({"callbacks"}, "GET")) return list_callbacks(req, *who, respond);
    if (route.size() == 3 && route[0] == "callbacks" && m == "POST") {
      return callback_action(route[1], route[2], req, *who, respond);
    }
    if (is({"cases"}, "GET")) return list_cases(req, *who, respond);
    if (is({"cases", "*"}, "GET")) return get_case(route[1], *who, respond);
    if (route.size() == 3 && route[0] == "cases" && m == "POST") {
      return case_action(route[1], route[2], req, *who, respond);
    }
    if (is({"reports"}, "POST")) return create_report(req, *who, respond);
    if (is({"clusters"}, "GET")) return clusters(*who, respond);
    if (is({"dashboard"}, "GET")) return dashboard(req, *who, respond);
    if (is({"reports", "monthly"}, "GET")) return monthly(req, *who, respond);
    if (is({"knowledge"}, "GET")) return get_knowledge(respond);
    if (is({"knowledge", "*"}, "PUT")) return put_knowledge(route[1], req, *who, respond);
    if (is({"routing"}, "GET")) return get_routing(respond);
    if (is({"routing"}, "PUT")) return put_routing(req, *who, respond);
    if (is({"privacy", "export"}, "GET")) return privacy_export(req, *who, respond);
    if (is({"privacy", "erase"}, "POST")) return privacy_erase(req, *who, respond);
    const bool known = is({"me"}, m) || is({"cases"}, m) || is({"cases", "*"}, m) || is({"reports"}, m) ||
                       is({"clusters"}, m) || is({"knowledge"}, m) || is({"knowledge", "*"}, m) || is({"routing"}, m) ||
                       is({"dashboard"}, m) || is({"privacy", "export"}, m) || is({"privacy", "erase"}, m) ||
                       (route.size() == 3 && route[0] == "cases") || is({"visits"}, m) || is({"visits", "*"}, m) ||
                       (route.size() == 3 && route[0] == "visits") || is({"callbacks"}, m) ||
                       (route.size() == 3 && route[0] == "callbacks");
    if (known) return respond(problem(Error(ApiErrc::method_not_allowed, m + " is not allowed on " + req.path)));
    return respond(problem(Error(ApiErrc::not_found, "no such resource: " + req.path)));
  }

  void ready(const Responder& respond) {
    const bool broker = service.connected();
    on_reader([respond, broker](backend::CaseStore& reads) {
      const bool store = static_cast<bool>(reads.check_readable());
      const bool ok = broker && store;
      respond(json_response(ok ? 200 : 503,
                            {{"status", ok ? "ready" : "not_ready"}, {"broker", broker}, {"store", store}}));
    });
  }

  void static_file(const HttpRequest& req, const std::vector<std::string>& parts, const Responder& respond) {
    if (req.method != "GET") return respond(problem(Error(ApiErrc::method_not_allowed, "the console is read-only")));
    std::string name = "index.html";
    if (parts.size() == 2 && parts[0] == "console") name = parts[1];
    else if (!(parts.empty() || (parts.size() == 1 && (parts[0] == "console" || parts[0] == "index.html")))) {
      return respond(problem(Error(ApiErrc::not_found, "no such file: " + req.path)));
    }
    auto it = files.find(name);
    if (it == files.end()) return respond(problem(Error(ApiErrc::not_found, "no such file: " + req.path)));
    // The console runs only its own files: no inline or foreign script, nothing it can be framed
    // in. Inline style attributes stay allowed (the charts' legend swatches set their colour).
    respond(HttpResponse{200,
                         it->second.first,
                         it->second.second,
                         {{"Cache-Control", "no-cache"},
                          {"Content-Security-Policy",
                           "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
                           "data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                           "frame-ancestors 'none'"}}});
  }

  // ---- cases ----

  void list_cases(const HttpRequest& req, const Principal& who, const Responder& respond) {
    backend::CaseQuery q;
    q.now_ms = now();
    q.teams = visible_teams(who);
    for (const auto& [key, value] : req.query) {
      const auto bad = [&](const std::string& why) {
        respond(problem(Error(ApiErrc::bad_request, "query '" + key + "': " + why)));
      };
      if (key == "team") {
        if (!q.teams.empty() && std::find(q.teams.begin(), q.teams.end(), value) == q.teams.end()) {
          return respond(problem(Error(ApiErrc::forbidden, "team '" + value + "' is not yours (" + who.team + ")")));
        }
        q.teams = {value};
      } else if (key == "state") {
        auto states = parse_list<CaseState>(key, value);
        if (!states) return respond(problem(states.error()));
        q.states = std::move(*states);
      } else if (key == "priority") {
        q.priority = parse<Priority>(value);
        if (!q.priority) return bad("unknown priority '" + value + "' (high, medium, low)");
      } else if (key == "system") {
        q.system = parse<VehicleSystem>(value);
        if (!q.system) return bad("unknown vehicle system '" + value + "'");
      } else if (key == "model") {
        q.model = value;
      } else if (key == "assignee") {
        q.assignee = value;
      } else if (key == "sla") {
        q.sla = parse<backend::SlaState>(value);
        if (!q.sla) return bad("unknown SLA state '" + value + "' (on_track, due_soon, overdue, met, missed)");
      } else if (key == "needs_triage") {
        if (value != "true" && value != "false") return bad("true (the human triage queue) or false");
        q.needs_triage = value == "true";
      } else if (key == "q") {
        if (utf8_length(value) > 200) return bad("longer than 200 characters");
        q.text = value;
      } else if (key == "sort") {
        auto s = parse<backend::CaseSort>(value);
        if (!s) return bad("unknown sort '" + value + "' (newest, oldest, due, priority)");
        q.sort = *s;
      } else if (key == "limit") {
        std::size_t n = 0;
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc() || p != value.data() + value.size() || n < 1 || n > options.max_page) {
          return bad("a number from 1 to " + std::to_string(options.max_page));
        }
        q.limit = n;
      } else if (key == "cursor") {
        q.cursor = value;
      } else {
        return bad(
            "unknown parameter (team, state, priority, system, model, assignee, sla, needs_triage, q, sort, limit, "
            "cursor)");
      }
    }
    on_reader([q = std::move(q), respond](backend::CaseStore& reads) {
      auto page = reads.search_cases(q);
      if (!page) return respond(problem(page.error()));
      json items = json::array();
      for (const auto& c : page->items) items.push_back(case_json(c, q.now_ms));
      respond(
          json_response(200, {{"items", items},
                              {"next_cursor", page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}}));
    });
  }

  /// Runs `then(case, store)` on a reader's strand once the case is found and visible to `who`.
  template <typename F>
  void with_case(std::string number, const Principal& who, const Responder& respond, F then) {
    on_reader([number = std::move(number), who, respond, then = std::move(then)](backend::CaseStore& reads) mutable {
      auto found = reads.find_case(number);
      if (!found) return respond(problem(found.error()));
      if (!*found) return respond(problem(Error(backend::CaseErrc::not_found, "case " + number)));
      if (!may_see(who, **found)) {
        return respond(problem(Error(ApiErrc::forbidden, "case " + number + " belongs to team " + (*found)->team)));
      }
      then(**found, reads);
    });
  }

  void get_case(const std::string& number, const Principal& who, const Responder& respond) {
    with_case(number, who, respond, [this, number, who, respond](const CaseSummary&, backend::CaseStore& reads) {
      auto d = reads.case_detail(number);
      if (!d) return respond(problem(d.error()));
      if (!*d) return respond(problem(Error(backend::CaseErrc::not_found, "case " + number)));
      respond(json_response(200, detail_json(**d, who, now())));
    });
  }

  /// A change through the service; answers the case as it is afterwards (read back on our strand).
  template <typename T>
  void change(std::function<Result<T>(backend::CaseStore&, const backend::NoticeRenderer&)> work,
              std::function<HttpResponse(const T&)> answer, const Responder& respond) {
    service.update<T>(std::move(work), [respond, answer = std::move(answer)](Result<T> r) {
      respond(r ? answer(*r) : problem(r.error()));
    });
  }

  void case_action(const std::string& number, const std::string& action, const HttpRequest& req, const Principal& who,
                   const Responder& respond) {
    if (!may_write(who)) return respond(problem(Error(ApiErrc::forbidden, "the auditor role reads only")));
    const bool reorganize = action == "merge" || action == "split" || action == "parent" || action == "triage";
    if (reorganize && !may_reorganize(who)) {
      return respond(problem(Error(ApiErrc::forbidden, action + " is for team leads and admins")));
    }
    const auto case_answer = [this](const CaseSummary& c) {
      return json_response(200, {{"case", case_json(c, now())}});
    };
    const auto at = now();
    if (action == "transitions") {
      auto body = Body::parse(req, {"to", "reason", "assignee", "appointment_when", "appointment_place"});
      if (!body) return respond(problem(body.error()));
      auto to = body->text("to", true, 40);
      auto reason = body->text("reason", true);
      auto assignee = body->text("assignee", false, 100);
      auto when = body->text("appointment_when", false, 100);
      auto place = body->text("appointment_place", false, 200);
      for (auto* r : {&to, &reason, &assignee, &when, &place})
        if (!*r) return respond(problem(r->error()));
      auto state = parse<CaseState>(*to);
      if (!state) return respond(problem(Error(ApiErrc::bad_request, "field 'to': unknown state '" + *to + "'")));
      backend::TransitionRequest t{number, *state, who.name, *reason, at, *assignee, *when, *place};
      return with_case(number, who, respond,
                       [this, t = std::move(t), respond, case_answer](const CaseSummary&, backend::CaseStore&) {
                         service.transition(t, [respond, case_answer](Result<backend::TransitionOutcome> r) {
                           respond(r ? case_answer(r->c) : problem(r.error()));
                         });
                       });
    }
    if (action == "triage") {
      auto body = Body::parse(req, {"type", "priority", "system", "team", "reason", "seen"});
      if (!body) return respond(problem(body.error()));
      auto type = body->text("type", false, 40);
      auto priority = body->text("priority", false, 40);
      auto system = body->text("system", false, 40);
      auto team = body->text("team", false, 100);
      auto reason = body->text("reason", true);
      for (auto* r : {&type, &priority, &system, &team, &reason})
        if (!*r) return respond(problem(r->error()));
      backend::TriageRequest t{number, who.name, *reason, {}, {}, {}, *team, at, {}};
      if (!type->empty()) t.type = parse<CaseType>(*type);
      if (!type->empty() && !t.type) {
        return respond(problem(Error(ApiErrc::bad_request, "field 'type': unknown type '" + *type + "'")));
      }
      if (!priority->empty()) t.priority = parse<Priority>(*priority);
      if (!priority->empty() && !t.priority) {
        return respond(problem(
            Error(ApiErrc::bad_request, "field 'priority': unknown priority '" + *priority + "' (high, medium, low)")));
      }
      if (!system->empty()) t.system = parse<VehicleSystem>(*system);
      if (!system->empty() && !t.system) {
        return respond(
            problem(Error(ApiErrc::bad_request, "field 'system': unknown vehicle system '" + *system + "'")));
      }
      // What the lead saw: a case changed meanwhile is refused (409) rather than decided over.
      if (const auto* seen = body->object("seen")) {
        const auto bad_seen = [&] {
          respond(problem(Error(ApiErrc::bad_request,
                                "field 'seen': an object of the case's type, priority, system and team as read")));
        };
        if (!seen->is_object()) return bad_seen();
        for (const auto& [key, value] : seen->items()) {
          if (!value.is_string()) return bad_seen();
          const auto& v = value.get_ref<const std::string&>();
          bool ok = true;
          if (key == "type") ok = static_cast<bool>(t.seen.type = parse<CaseType>(v));
          else if (key == "priority") ok = static_cast<bool>(t.seen.priority = parse<Priority>(v));
          else if (key == "system") ok = static_cast<bool>(t.seen.system = parse<VehicleSystem>(v));
          else if (key == "team") t.seen.team = v;
          else ok = false;
          if (!ok) return bad_seen();
        }
      }
      // Its own team's lead (or an admin), on the case as the triage reads it: a collaborating
      // team's lead would take the case over and drop the owner's assignee.
      auto permit = [who](const CaseSummary& c) -> Result<void> {
        if (who.role == Role::admin || c.team == who.team) return {};
        return fail(ApiErrc::forbidden,
                    "case " + c.case_number + " belongs to team " + c.team + ": its own lead or an admin triages it");
      };
      return with_case(number, who, respond,
                       [this, t = std::move(t), permit, respond, case_answer](const CaseSummary&, backend::CaseStore&) {
                         service.triage(t, permit, [respond, case_answer](Result<CaseSummary> r) {
                           respond(r ? case_answer(*r) : problem(r.error()));
                         });
                       });
    }
    if (action == "assignment") {
      auto body = Body::parse(req, {"assignee"});
      if (!body) return respond(problem(body.error()));
      auto assignee = body->text("assignee", true, 100);
      if (!assignee) return respond(problem(assignee.error()));
      return with_case(number, who, respond, [=, this](const CaseSummary&, backend::CaseStore&) {
        change<CaseSummary>(
            [=](backend::CaseStore& s, const backend::NoticeRenderer& render) {
              return s.assign(number, *assignee, who.name, at, render);
            },
            case_answer, respond);
      });
    }
    if (action == "comments") {
      auto body = Body::parse(req, {"text"});
      if (!body) return respond(problem(body.error()));
      auto text = body->text("text", true);
      if (!text) return respond(problem(text.error()));
      return with_case(number, who, respond, [=, this](const CaseSummary&, backend::CaseStore&) {
        change<backend::CaseEvent>(
            [=](backend::CaseStore& s, const backend::NoticeRenderer&) {
              return s.add_comment(number, who.name, *text, at);
            },
            [](const backend::CaseEvent& e) {
              return json_response(
                  201, {{"event", {{"at_ms", e.at_ms}, {"kind", e.kind}, {"actor", e.actor}, {"detail", e.detail}}}});
            },
            respond);
      });
    }
    if (action == "messages") {
      auto body = Body::parse(req, {"text", "template"});
      if (!body) return respond(problem(body.error()));
      auto text = body->text("text", true, 1000);
      if (!text) return respond(problem(text.error()));
      auto script = body->text("template", false, 40);
      if (!script) return respond(problem(script.error()));
      if (script->empty()) *script = "message";
      if (*script != "message" && *script != "progress") {
        return respond(problem(Error(ApiErrc::bad_request,
                                     "field 'template': 'message' (the text as written) or "
                                     "'progress' (the standard progress script, the text as its note)")));
      }
      return with_case(number, who, respond, [=, this](const CaseSummary&, backend::CaseStore&) {
        change<backend::StoredNotification>(
            [=](backend::CaseStore& s, const backend::NoticeRenderer& render) {
              return s.send_message(number, who.name, *text, *script, at, render);
            },
            [](const backend::StoredNotification& n) {
              return json_response(202, {{"notification_id", n.id}, {"text", n.text}});
            },
            respond);
      });
    }
    if (action == "merge" || action == "split" || action == "parent") {
      const auto field = action == "merge" ? "into" : action == "split" ? "report_id" : "major_case_number";
      auto body = Body::parse(req, {field});
      if (!body) return respond(problem(body.error()));
      auto other = body->text(field, action != "parent", 100);
      if (!other) return respond(problem(other.error()));
      return with_case(number, who, respond, [=, this](const CaseSummary&, backend::CaseStore&) {
        change<CaseSummary>(
            [=](backend::CaseStore& s, const backend::NoticeRenderer& render) -> Result<CaseSummary> {
              if (action == "merge") {
                auto target = s.find_case(*other);
                if (!target) return fail(target.error());
                if (*target && !may_see(who, **target)) {
                  return fail(ApiErrc::forbidden, "case " + *other + " belongs to team " + (*target)->team);
                }
                return s.merge_cases(number, *other, who.name, at, render);
              }
              if (action == "split") return s.split_report(number, *other, who.name, at);
              if (!other->empty()) {
                auto major = s.find_case(*other);
                if (!major) return fail(major.error());
                if (*major && !may_see(who, **major)) {
                  return fail(ApiErrc::forbidden, "case " + *other + " belongs to team " + (*major)->team);
                }
              }
              return s.link_to_major(number, *other, who.name, at);
            },
            case_answer, respond);
      });
    }
    if (action == "visits") return propose_visit(number, req, who, respond);
    respond(problem(Error(ApiErrc::not_found, "no such action on a case: " + action)));
  }

  // ---- service visits and live callbacks (docs/visits.md); defined below ----

  void propose_visit(const std::string& number, const HttpRequest& req, const Principal& who, const Responder& respond);
  void list_visits(const HttpRequest& req, const Principal& who, const Responder& respond);
  void get_visit(const std::string& id, const Principal& who, const Responder& respond);
  void visit_action(const std::string& id, const std::string& action, const HttpRequest& req, const Principal& who,
                    const Responder& respond);
  void list_callbacks(const HttpRequest& req, const Principal& who, const Responder& respond);
  void callback_action(const std::string& id, const std::string& action, const HttpRequest& req, const Principal& who,
                       const Responder& respond);

  void create_report(const HttpRequest& req, const Principal& who, const Responder& respond) {
    if (!may_write(who)) return respond(problem(Error(ApiErrc::forbidden, "the auditor role reads only")));
    auto body = Body::parse(req, {"channel", "report_id", "vin", "text", "language", "category", "model", "model_year",
                                  "software_version", "contact"});
    if (!body) return respond(problem(body.error()));
    auto channel = body->text("channel", true, 40);
    // Required: the client's idempotency key. A server-made id would turn an HTTP retry after a
    // lost response into a second case.
    auto report_id = body->text("report_id", true, 36);
    auto vin = body->text("vin", true, 17);
    auto text = body->text("text", true);
    auto language = body->text("language", false, 20);
    auto category = body->text("category", false, 40);
    auto model = body->text("model", true, 64);
    auto version = body->text("software_version", false, 40);
    for (auto* r : {&channel, &report_id, &vin, &text, &language, &category, &model, &version})
      if (!*r) return respond(problem(r->error()));
    if (*channel == "car") {
      return respond(problem(Error(ApiErrc::bad_request, "field 'channel': cars report over MQTT, not here")));
    }
    wire::Report r;
    r.set_report_id(*report_id);
    r.set_vin(*vin);
    r.set_text(*text);
    r.set_language(language->empty() ? "zh-CN" : *language);
    auto cat = category->empty() ? std::optional(wire::CATEGORY_OTHER) : parse<wire::Category>(*category);
    if (!cat)
      return respond(problem(Error(ApiErrc::bad_request, "field 'category': unknown category '" + *category + "'")));
    r.set_category(*cat);
    r.set_model(*model);
    r.set_software_version(version->empty() ? "unknown" : *version);
    if (const auto* year = body->object("model_year")) {
      if (!year->is_number_unsigned() || year->get<std::uint64_t>() > 3000) {
        return respond(problem(Error(ApiErrc::bad_request, "field 'model_year': a year such as 2024")));
      }
      r.set_model_year(year->get<std::uint32_t>());
    } else if (auto from_vin = model_year_of_vin(*vin, utc_year(now() + options.utc_offset_ms))) {
      r.set_model_year(*from_vin);
    } else if (is_valid_vin(*vin)) {  // (a VIN that is not one is refused below, by its field)
      // Not "this year": a retry after New Year would be another report (409).
      return respond(problem(Error(ApiErrc::bad_request,
                                   "field 'model_year': required, the VIN's 10th character "
                                   "names no model year")));
    }
    r.set_car_time_ms(now());
    r.mutable_consent()->set_contact(true);
    std::optional<backend::Contact> contact;
    if (const auto* c = body->object("contact")) {
      if (!c->is_object() || !c->contains("phone") || !(*c)["phone"].is_string() ||
          (c->contains("name") && !(*c)["name"].is_string()) || c->size() > 2 ||
          (c->size() == 2 && !c->contains("name"))) {
        return respond(
            problem(Error(ApiErrc::bad_request, "field 'contact': an object {\"name\": string, \"phone\": string}")));
      }
      contact = backend::Contact{c->value("name", ""), (*c)["phone"].get<std::string>()};
      if (contact->phone.empty() || contact->phone.size() > 32 || !is_valid_text(contact->phone) ||
          utf8_length(contact->name) > 100 || !is_valid_text(contact->name)) {
        return respond(problem(Error(ApiErrc::bad_request, "field 'contact': phone 1-32 characters, name up to 100")));
      }
    }
    service.submit_from_channel(std::move(r), *channel, std::move(contact), [respond](Result<backend::CaseRef> ref) {
      if (!ref) return respond(problem(ref.error()));
      respond(json_response(ref->duplicate ? 200 : 201, {{"case_number", ref->case_number},
                                                         {"team", ref->team},
                                                         {"first_reply_due_ms", ref->first_reply_due_ms},
                                                         {"duplicate", ref->duplicate},
                                                         {"merged", ref->merged}}));
    });
  }

  void clusters(const Principal&, const Responder& respond) {
    on_reader([respond](backend::CaseStore& reads) {
      auto list = reads.list_clusters(200);
      if (!list) return respond(problem(list.error()));
      json items = json::array();
      for (const auto& c : *list) {
        items.push_back({{"id", c.id},
                         {"key", c.key},
                         {"model", c.model},
                         {"software_version", c.software_version},
                         {"vehicles", c.vehicles},
                         {"cases", c.cases},
                         {"major_case_number", c.major_case_number},
                         {"warned_ms", c.warned_ms ? json(c.warned_ms) : json(nullptr)}});
      }
      respond(json_response(200, {{"items", items}}));
    });
  }

  void dashboard(const HttpRequest& req, const Principal& who, const Responder& respond);
  void monthly(const HttpRequest& req, const Principal& who, const Responder& respond);

  // ---- rules ----

  void get_knowledge(const Responder& respond) {
    on_rules([this, respond] {
      auto doc = config::load_json(options.rules_dir / "knowledge.json");
      if (!doc) return respond(problem(doc.error()));
      respond(json_response(200, {{"articles", doc->value("articles", json::array())}}));
    });
  }

  void put_knowledge(const std::string& id, const HttpRequest& req, const Principal& who, const Responder& respond) {
    if (!may_edit_knowledge(who)) {
      return respond(problem(Error(ApiErrc::forbidden, "editing the knowledge base is for team leads and admins")));
    }
    if (req.header("content-type").rfind("application/json", 0) != 0) {
      return respond(problem(Error(ApiErrc::unsupported_media, "send the article as application/json")));
    }
    json article;
    try {
      article = json::parse(req.body);
    } catch (const json::parse_error& e) {
      return respond(problem(Error(ApiErrc::bad_request, "malformed JSON at byte " + std::to_string(e.byte))));
    } catch (const json::exception& e) {  // out_of_range: a number like 1e999
      return respond(problem(Error(ApiErrc::bad_request, std::string("malformed JSON: ") + e.what())));
    }
    if (!article.is_object())
      return respond(problem(Error(ApiErrc::bad_request, "the body must be an article object")));
    if (article.contains("id") && article["id"] != id) {
      return respond(problem(Error(ApiErrc::bad_request, "field 'id': differs from the path's '" + id + "'")));
    }
    article["id"] = id;
    on_rules([this, id, article = std::move(article), who, respond] {
      const auto file = options.rules_dir / "knowledge.json";
      auto doc = config::load_json(file);
      if (!doc) return respond(problem(doc.error()));
      auto& articles = (*doc)["articles"];
      bool replaced = false;
      for (auto& a : articles) {
        if (a.value("id", "") == id) {
          a = article;
          replaced = true;
        }
      }
      if (!replaced) articles.push_back(article);
      if (auto checked = backend::KnowledgeBase::load(*doc, "knowledge.json"); !checked) {
        return respond(problem(Error(ApiErrc::bad_request, checked.error().detail)));
      }
      apply_rules_edit(file, doc->dump(2) + "\n", who, "knowledge " + id, respond,
                       json_response(replaced ? 200 : 201, {{"article", article}}));
    });
  }

  void get_routing(const Responder& respond) {
    on_rules([this, respond] {
      std::ifstream in(options.rules_dir / "routing.conf", std::ios::binary);
      if (!in) return respond(problem(Error(StorageErrc::io, "cannot read routing.conf")));
      std::stringstream text;
      text << in.rdbuf();
      respond(json_response(200, {{"text", text.str()}}));
    });
  }

  void put_routing(const HttpRequest& req, const Principal& who, const Responder& respond) {
    if (!may_edit_routing(who)) return respond(problem(Error(ApiErrc::forbidden, "editing routing is for admins")));
    auto body = Body::parse(req, {"text"});
    if (!body) return respond(problem(body.error()));
    auto text = body->text("text", true, 60000);
    if (!text) return respond(problem(text.error()));
    if (auto checked = backend::Router::load(*text, "routing.conf"); !checked) {
      return respond(problem(Error(ApiErrc::bad_request, checked.error().detail)));
    }
    on_rules([this, text = *text, who, respond] {
      apply_rules_edit(options.rules_dir / "routing.conf", text, who, "routing", respond,
                       json_response(200, {{"text", text}}));
    });
  }

  /// On the rules' strand: writes the edited file, reloads every rule file and hands them to the
  /// service; restores the old file if the whole set does not load.
  void apply_rules_edit(const std::filesystem::path& file, const std::string& text, const Principal& who,
                        const std::string& what, const Responder& respond, HttpResponse ok) {
    std::string old;
    {
      std::ifstream in(file, std::ios::binary);
      std::stringstream s;
      s << in.rdbuf();
      old = s.str();
    }
    if (auto w = write_atomically(file, text); !w) return respond(problem(w.error()));
    auto rules = backend::load_rules(options.rules_dir);
    if (!rules) {
      (void)write_atomically(file, old);
      return respond(problem(Error(ApiErrc::bad_request, rules.error().detail)));
    }
    spdlog::info("api: {} edited by {}", what, who.name);
    service.replace_rules(std::move(*rules), [respond, ok = std::move(ok)]() mutable { respond(std::move(ok)); });
  }

  // ---- privacy ----

  void privacy_export(const HttpRequest& req, const Principal& who, const Responder& respond) {
    if (!may_handle_privacy(who)) return respond(problem(Error(ApiErrc::forbidden, "privacy requests are for admins")));
    const auto vin = req.query.contains("vin") ? req.query.at("vin") : std::string();
    const auto phone = req.query.contains("phone") ? req.query.at("phone") : std::string();
    if (vin.empty() == phone.empty()) {
      return respond(problem(Error(ApiErrc::bad_request, "query 'vin': give a vin or a phone, one of them")));
    }
    on_reader([this, vin, phone, who, respond](backend::CaseStore& reads) {
      auto numbers = reads.cases_of_subject(vin, phone);
      if (!numbers) return respond(problem(numbers.error()));
      json cases = json::array();
      for (const auto& n : *numbers) {
        auto d = reads.case_detail(n);
        if (!d) return respond(problem(d.error()));
        if (*d) cases.push_back(detail_json(**d, who, now()));
      }
      const auto subject = vin.empty() ? backend::privacy_subject("phone", phone)
                                       : backend::privacy_subject("vin", vin);
      json out = {{"subject", subject}, {"exported_ms", now()}, {"cases", cases}};
      const auto at = now();
      change<bool>(
          [=](backend::CaseStore& s, const backend::NoticeRenderer&) -> Result<bool> {
            auto a = s.audit_privacy("export", subject, who.name, at);
            if (!a) return fail(a.error());
            return true;
          },
          [out = std::move(out)](const bool&) { return json_response(200, out); }, respond);
    });
  }

  void privacy_erase(const HttpRequest& req, const Principal& who, const Responder& respond) {
    if (!may_handle_privacy(who)) return respond(problem(Error(ApiErrc::forbidden, "privacy requests are for admins")));
    auto body = Body::parse(req, {"vin", "phone"});
    if (!body) return respond(problem(body.error()));
    auto vin = body->text("vin", false, 17);
    auto phone = body->text("phone", false, 32);
    if (!vin) return respond(problem(vin.error()));
    if (!phone) return respond(problem(phone.error()));
    if (vin->empty() == phone->empty()) {
      return respond(problem(Error(ApiErrc::bad_request, "field 'vin': give a vin or a phone, one of them")));
    }
    const auto at = now();
    change<backend::ErasureOutcome>(
        [=, vin = *vin, phone = *phone](backend::CaseStore& s, const backend::NoticeRenderer&) {
          return s.erase_subject(vin, phone, who.name, at);
        },
        [](const backend::ErasureOutcome& o) {
          return json_response(200, {{"subject", o.subject},
                                     {"cases", o.cases},
                                     {"reports", o.reports},
                                     {"notifications", o.notifications},
                                     {"contacts", o.contacts}});
        },
        respond);
  }

  // ---- metrics ----

  void metrics(const Responder& respond);
};

namespace {

/// A query parameter as a number; nullopt when absent. Errors name the parameter.
Result<std::optional<std::int64_t>> int_param(const HttpRequest& req, const std::string& name) {
  auto it = req.query.find(name);
  if (it == req.query.end()) return std::optional<std::int64_t>{};
  std::int64_t v = 0;
  const auto& text = it->second;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return fail(ApiErrc::bad_request, "query '" + name + "': not a number of milliseconds");
  }
  return std::optional<std::int64_t>{v};
}

Result<void> only_params(const HttpRequest& req, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : req.query) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return fail(ApiErrc::bad_request, "query '" + key + "': unknown parameter (" + list + ")");
    }
  }
  return {};
}

}  // namespace

namespace {

/// The visit `id` as `who` may see it: a dealer its own (else not found), others the visits of
/// cases they may see (else forbidden).
Result<backend::Visit> visible_visit(backend::CaseStore& s, std::string_view id, const Principal& who) {
  const std::string dealer = who.role == Role::dealer ? who.team : std::string();
  auto v = s.visit(id, dealer);
  if (!v) return fail(v.error());
  if (!*v) return fail(backend::VisitErrc::not_found, "visit " + std::string(id));
  if (who.role != Role::dealer) {
    auto c = s.find_case((*v)->case_number);
    if (!c) return fail(c.error());
    if (*c && !may_see(who, **c))
      return fail(ApiErrc::forbidden, "visit " + std::string(id) + " is on a case of team " + (*c)->team);
  }
  return std::move(**v);
}

std::string dealer_of(const Principal& who) { return who.role == Role::dealer ? who.team : std::string(); }

/// The actor in a visit's audit trail: a dealer's person with its dealer code.
std::string visit_actor(const Principal& who) {
  return who.role == Role::dealer ? "dealer:" + who.team + ":" + who.name : who.name;
}

}  // namespace

void Api::Impl::propose_visit(const std::string& number, const HttpRequest& req, const Principal& who,
                              const Responder& respond) {
  if (who.role == Role::dealer || !may_write(who))
    return respond(problem(Error(ApiErrc::forbidden, "visits are proposed by the service team")));
  auto body = Body::parse(req, {"slots", "estimate", "note"});
  if (!body) return respond(problem(body.error()));
  auto slots = slots_of(body->doc());
  if (!slots) return respond(problem(slots.error()));
  auto estimate = money_of(body->doc(), "estimate");
  if (!estimate) return respond(problem(estimate.error()));
  auto note = body->text("note", false, 500);
  if (!note) return respond(problem(note.error()));
  backend::VisitProposal p;
  p.case_number = number;
  p.slots = std::move(*slots);
  p.estimate = *estimate;
  p.note = *note;
  p.actor = who.name;
  p.at_ms = now();
  with_case(number, who, respond, [this, p = std::move(p), who, respond](const CaseSummary&, backend::CaseStore&) {
    change<backend::Visit>([p](backend::CaseStore& s,
                               const backend::NoticeRenderer& render) { return s.propose_visit(p, render); },
                           [who](const backend::Visit& v) { return json_response(201, visit_json(v, who)); }, respond);
  });
}

void Api::Impl::list_visits(const HttpRequest& req, const Principal& who, const Responder& respond) {
  if (auto ok = only_params(req, {"state", "dealer", "case", "limit"}); !ok) return respond(problem(ok.error()));
  backend::VisitQuery q;
  q.dealer_code = dealer_of(who);
  q.teams = visible_teams(who);
  if (who.role == Role::dealer) q.teams.clear();
  if (auto it = req.query.find("dealer"); it != req.query.end() && who.role != Role::dealer) {
    q.dealer_code = it->second;  // the team's filter: the visits shown whole, every dealer's slots
    q.as_dealer = false;
  }
  if (auto it = req.query.find("case"); it != req.query.end()) q.case_number = it->second;
  if (auto it = req.query.find("state"); it != req.query.end()) {
    q.state = parse<backend::VisitState>(it->second);
    if (!q.state)
      return respond(problem(Error(ApiErrc::bad_request, "query 'state': unknown visit state '" + it->second + "'")));
  }
  auto limit = int_param(req, "limit");
  if (!limit) return respond(problem(limit.error()));
  if (*limit && (**limit < 1 || **limit > 500))
    return respond(problem(Error(ApiErrc::bad_request, "query 'limit': 1..500")));
  q.limit = static_cast<std::size_t>(limit->value_or(100));
  on_reader([q = std::move(q), who, respond](backend::CaseStore& reads) {
    auto visits = reads.visits(q);
    if (!visits) return respond(problem(visits.error()));
    nlohmann::json items = nlohmann::json::array();
    for (const auto& v : *visits) items.push_back(visit_json(v, who));
    respond(json_response(200, {{"items", items}}));
  });
}

void Api::Impl::get_visit(const std::string& id, const Principal& who, const Responder& respond) {
  on_reader([id, who, respond](backend::CaseStore& reads) {
    auto v = visible_visit(reads, id, who);
    respond(v ? json_response(200, visit_json(*v, who)) : problem(v.error()));
  });
}

void Api::Impl::visit_action(const std::string& id, const std::string& action, const HttpRequest& req,
                             const Principal& who, const Responder& respond) {
  if (!may_write(who)) return respond(problem(Error(ApiErrc::forbidden, "the auditor role reads only")));
  const bool dealer_or_admin = who.role == Role::dealer || who.role == Role::admin;
  const auto at = now();
  const auto visit_answer = [who](const backend::Visit& v) { return json_response(200, visit_json(v, who)); };
  if (action == "stages") {
    if (!dealer_or_admin) return respond(problem(Error(ApiErrc::forbidden, "stages are entered by the dealer")));
    auto body = Body::parse(req, {"stage", "note", "ready_at_ms", "findings", "dtcs", "parts", "labour", "passed"});
    if (!body) return respond(problem(body.error()));
    auto entry = stage_of(body->doc());
    if (!entry) return respond(problem(entry.error()));
    entry->visit_id = id;
    entry->actor = visit_actor(who);
    entry->dealer_code = dealer_of(who);
    entry->at_ms = at;
    return change<backend::Visit>(
        [e = std::move(*entry), who](backend::CaseStore& s,
                                     const backend::NoticeRenderer& render) -> Result<backend::Visit> {
          if (auto v = visible_visit(s, e.visit_id, who); !v) return fail(v.error());
          return s.record_stage(e, render);
        },
        visit_answer, respond);
  }
  if (action == "approvals") {
    if (!dealer_or_admin) return respond(problem(Error(ApiErrc::forbidden, "extra cost is asked by the dealer")));
    auto body = Body::parse(req, {"amount", "reason"});
    if (!body) return respond(problem(body.error()));
    auto amount = money_of(body->doc(), "amount");
    if (!amount) return respond(problem(amount.error()));
    auto reason = body->text("reason", true, 500);
    if (!reason) return respond(problem(reason.error()));
    backend::ApprovalRequest r{id, *amount, *reason, visit_actor(who), dealer_of(who), at};
    return change<backend::Approval>(
        [r = std::move(r), who](backend::CaseStore& s,
                                const backend::NoticeRenderer& render) -> Result<backend::Approval> {
          if (auto v = visible_visit(s, r.visit_id, who); !v) return fail(v.error());
          return s.request_approval(r, render);
        },
        [](const backend::Approval& a) { return json_response(201, approval_json(a)); }, respond);
  }
  if (action == "slots") {
    auto body = Body::parse(req, {"slots", "estimate", "note"});
    if (!body) return respond(problem(body.error()));
    auto slots = slots_of(body->doc());
    if (!slots) return respond(problem(slots.error()));
    auto note = body->text("note", false, 500);
    if (!note) return respond(problem(note.error()));
    backend::VisitProposal p;
    p.visit_id = id;
    p.slots = std::move(*slots);
    if (body->object("estimate")) {
      // The estimate is the team's word to the driver and the ceiling a repair needs no approval
      // under: a dealer re-offering times does not set it.
      if (who.role == Role::dealer) {
        return respond(problem(Error(ApiErrc::forbidden, "the estimate is set by the service team, not the dealer")));
      }
      auto estimate = money_of(body->doc(), "estimate");
      if (!estimate) return respond(problem(estimate.error()));
      p.estimate = *estimate;
    }
    p.note = *note;
    p.actor = visit_actor(who);
    p.dealer_code = dealer_of(who);
    p.at_ms = at;
    return change<backend::Visit>(
        [p = std::move(p), who](backend::CaseStore& s,
                                const backend::NoticeRenderer& render) -> Result<backend::Visit> {
          if (auto v = visible_visit(s, p.visit_id, who); !v) return fail(v.error());
          return s.propose_visit(p, render);
        },
        visit_answer, respond);
  }
  if (action == "cancel") {
    auto body = Body::parse(req, {"reason"});
    if (!body) return respond(problem(body.error()));
    auto reason = body->text("reason", true, 500);
    if (!reason) return respond(problem(reason.error()));
    const auto actor = visit_actor(who);
    return change<backend::Visit>(
        [=](backend::CaseStore& s, const backend::NoticeRenderer& render) -> Result<backend::Visit> {
          if (auto v = visible_visit(s, id, who); !v) return fail(v.error());
          return s.cancel_visit(id, dealer_of(who), actor, *reason, at, render);
        },
        visit_answer, respond);
  }
  respond(problem(Error(ApiErrc::not_found, "no such action on a visit: " + action)));
}

void Api::Impl::list_callbacks(const HttpRequest& req, const Principal& who, const Responder& respond) {
  if (auto ok = only_params(req, {"state", "limit"}); !ok) return respond(problem(ok.error()));
  backend::CallbackQuery q;
  q.teams = visible_teams(who);
  const auto state = req.query.contains("state") ? req.query.at("state") : std::string("queued");
  if (state != "all") {
    auto states = parse_list<backend::CallbackState>("state", state);
    if (!states) return respond(problem(states.error()));
    q.states = std::move(*states);
  }
  auto limit = int_param(req, "limit");
  if (!limit) return respond(problem(limit.error()));
  if (*limit && (**limit < 1 || **limit > 500))
    return respond(problem(Error(ApiErrc::bad_request, "query 'limit': 1..500")));
  const auto shown = static_cast<std::size_t>(limit->value_or(100));
  // One more than is shown, so that `more` can say the queue goes on (the console's badge).
  q.limit = shown + 1;
  on_reader([this, q = std::move(q), shown, who, respond](backend::CaseStore& reads) {
    auto items = reads.callbacks(q);
    if (!items) return respond(problem(items.error()));
    const bool more = items->size() > shown;
    if (more) items->resize(shown);
    const auto t = now();
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : *items) out.push_back(callback_json(c, who, t));
    respond(json_response(
        200, {{"items", out}, {"more", more}, {"server_time_ms", t}, {"target_ms", backend::kCallbackTargetMs}}));
  });
}

void Api::Impl::callback_action(const std::string& id, const std::string& action, const HttpRequest& req,
                                const Principal& who, const Responder& respond) {
  if (!may_write(who)) return respond(problem(Error(ApiErrc::forbidden, "the auditor role reads only")));
  const auto at = now();
  const auto answer = [this, who](const backend::Callback& c) {
    return json_response(200, callback_json(c, who, now()));
  };
  const auto check_team = [who](backend::CaseStore& s, const std::string& id) -> Result<void> {
    backend::CallbackQuery q;
    q.id = id;
    auto all = s.callbacks(q);
    if (!all) return fail(all.error());
    auto it = std::find_if(all->begin(), all->end(), [&](const backend::Callback& c) { return c.id == id; });
    if (it == all->end()) return {};  // the store answers not_found
    auto c = s.find_case(it->case_number);
    if (!c) return fail(c.error());
    if (*c && !may_see(who, **c)) return fail(ApiErrc::forbidden, "callback " + id + " is for team " + (*c)->team);
    return {};
  };
  if (action == "pickup") {
    if (!req.body.empty()) {
      auto body = Body::parse(req, {});
      if (!body) return respond(problem(body.error()));
    }
    return change<backend::Callback>(
        [=](backend::CaseStore& s, const backend::NoticeRenderer& render) -> Result<backend::Callback> {
          if (auto ok = check_team(s, id); !ok) return fail(ok.error());
          return s.pick_up_callback(id, who.name, at, render);
        },
        answer, respond);
  }
  if (action == "outcome") {
    auto body = Body::parse(req, {"outcome", "note"});
    if (!body) return respond(problem(body.error()));
    auto outcome = body->text("outcome", true, 500);
    auto note = body->text("note", false, 2000);
    if (!outcome) return respond(problem(outcome.error()));
    if (!note) return respond(problem(note.error()));
    const bool lead = who.role == Role::team_lead || who.role == Role::admin;
    return change<backend::Callback>(
        [=](backend::CaseStore& s, const backend::NoticeRenderer& render) -> Result<backend::Callback> {
          if (auto ok = check_team(s, id); !ok) return fail(ok.error());
          return s.log_callback(id, who.name, lead, *outcome, *note, at, render);
        },
        answer, respond);
  }
  respond(problem(Error(ApiErrc::not_found, "no such action on a callback: " + action)));
}

void Api::Impl::dashboard(const HttpRequest& req, const Principal& who, const Responder& respond) {
  if (!analytics) return respond(problem(Error(ApiErrc::unavailable, "no analytics in this server")));
  if (auto ok = only_params(req, {"from_ms", "to_ms", "team", "bucket"}); !ok) return respond(problem(ok.error()));
  backend::DashboardQuery q;
  q.now_ms = now();
  auto from = int_param(req, "from_ms");
  auto to = int_param(req, "to_ms");
  if (!from) return respond(problem(from.error()));
  if (!to) return respond(problem(to.error()));
  // Times since 1970 as JavaScript holds them: the default window below subtracts from to_ms.
  constexpr std::int64_t kLatestMs = (std::int64_t{1} << 53) - 1;
  for (const auto& [name, v] : {std::pair{"from_ms", *from}, std::pair{"to_ms", *to}}) {
    if (v && (*v < 0 || *v > kLatestMs)) {
      return respond(problem(Error(ApiErrc::bad_request, std::string("query '") + name + "': 0 .. " +
                                                             std::to_string(kLatestMs) + " ms since 1970")));
    }
  }
  q.to_ms = to->value_or(q.now_ms + 1);
  q.from_ms = from->value_or(q.to_ms - std::int64_t{30} * 24 * 3600 * 1000);  // the last 30 days
  q.teams = visible_teams(who);
  if (auto team = req.query.find("team"); team != req.query.end()) {
    if (!q.teams.empty() && team->second != who.team) {
      return respond(problem(Error(ApiErrc::forbidden, "team '" + team->second + "' is not yours (" + who.team + ")")));
    }
    q.teams = {team->second};
  }
  if (auto bucket = req.query.find("bucket"); bucket != req.query.end()) {
    if (bucket->second == "week") q.bucket = backend::Bucket::week;
    else if (bucket->second != "day")
      return respond(problem(Error(ApiErrc::bad_request, "query 'bucket': day or week")));
  }
  asio::post(analytics_strand, [this, q = std::move(q), respond] {
    auto d = analytics->dashboard(q);
    respond(d ? json_response(200, backend::to_json(*d)) : problem(d.error()));
  });
}

void Api::Impl::monthly(const HttpRequest& req, const Principal& who, const Responder& respond) {
  (void)who;  // the monthly review is the organisation's: every role reads it
  if (!analytics) return respond(problem(Error(ApiErrc::unavailable, "no analytics in this server")));
  if (auto ok = only_params(req, {"month", "format", "lang"}); !ok) return respond(problem(ok.error()));
  auto month_text = req.query.find("month");
  if (month_text == req.query.end())
    return respond(problem(Error(ApiErrc::bad_request, "query 'month': required (YYYY-MM)")));
  auto month = backend::parse_month(month_text->second);
  if (!month) return respond(problem(Error(ApiErrc::bad_request, "query 'month': " + month.error().detail)));
  const auto format = req.query.contains("format") ? req.query.at("format") : std::string("json");
  const auto lang = req.query.contains("lang") ? req.query.at("lang") : std::string("en");
  if (format != "json" && format != "html" && format != "csv") {
    return respond(problem(Error(ApiErrc::bad_request, "query 'format': json, html or csv")));
  }
  asio::post(analytics_strand, [this, month = *month, format, lang, respond] {
    auto r = analytics->monthly_report(month.first, month.second, now());
    if (!r) return respond(problem(r.error()));
    if (format == "html") {
      return respond(HttpResponse{200, "text/html; charset=utf-8", backend::render_monthly_html(*r, lang), {}});
    }
    if (format == "csv") {
      return respond(HttpResponse{200, "text/csv; charset=utf-8", backend::render_monthly_csv(*r), {}});
    }
    respond(json_response(200, backend::to_json(*r)));
  });
}

void Api::Impl::metrics(const Responder& respond) {
  const auto stats = service.stats();
  const auto ingest = service.ingest_latency().snapshot();
  const auto notify = service.notify_latency().snapshot();
  const auto http = request_latency.snapshot();
  const auto pending = service.pending();
  std::array<std::uint64_t, 6> by_class{};
  for (std::size_t i = 1; i < by_class.size(); ++i) by_class[i] = responses[i].load(std::memory_order_relaxed);
  on_reader([this, respond, stats, ingest, notify, http, pending, by_class](backend::CaseStore& reads) {
    std::ostringstream o;
    const auto counter = [&](std::string_view name, std::string_view help, auto value) {
      o << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n" << name << " " << value << "\n";
    };
    const auto gauge = [&](std::string_view name, std::string_view help, auto value) {
      o << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n" << name << " " << value << "\n";
    };
    const auto histogram = [&](std::string_view name, std::string_view help, const LatencyHistogram::Snapshot& h) {
      o << "# HELP " << name << " " << help << "\n# TYPE " << name << " histogram\n";
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < LatencyHistogram::kBoundsMs.size(); ++i) {
        cumulative += h.buckets[i];
        o << name << "_bucket{le=\"" << LatencyHistogram::kBoundsMs[i] / 1000.0 << "\"} " << cumulative << "\n";
      }
      o << name << "_bucket{le=\"+Inf\"} " << h.count << "\n";
      o << name << "_sum " << h.sum_ms / 1000.0 << "\n" << name << "_count " << h.count << "\n";
    };
    counter("fb_reports_received_total", "Messages taken from the broker by the service.", stats.received);
    counter("fb_reports_accepted_total", "Reports stored as new cases or merged.", stats.ingest.accepted);
    counter("fb_reports_duplicate_total", "Reports received again (same report id).", stats.ingest.duplicates);
    counter("fb_reports_rejected_total", "Messages refused (dead-lettered) with a reason.", stats.ingest.rejected);
    counter("fb_reports_dropped_overload_total", "Messages dropped when the service was full (cars resend).",
            stats.dropped_overload);
    counter("fb_ingest_rate_limited_total", "Messages over their VIN's rate limit, dropped before ingest.",
            stats.admission.rate_limited);
    counter("fb_ingest_qos0_refused_total", "QoS 0 messages on car topics, dropped before ingest.",
            stats.admission.qos0);
    counter("fb_ingest_retained_ignored_total", "Retained messages replayed on car topics, ignored.",
            stats.admission.retained);
    counter("fb_sla_escalations_total", "SLA escalations at 50 % and 100 % of a target.", stats.escalations);
    counter("fb_progress_updates_total", "Automatic progress updates to drivers of silent cases.",
            stats.progress_updates);
    counter("fb_notifications_published_total", "Messages the broker took (acks and notifications).", stats.published);
    gauge("fb_ingest_queue_depth", "Messages received and waiting to be stored.", pending);
    o << "# HELP fb_http_responses_total HTTP responses by status class.\n# TYPE fb_http_responses_total counter\n";
    for (std::size_t i = 1; i < by_class.size(); ++i) {
      o << "fb_http_responses_total{class=\"" << i << "xx\"} " << by_class[i] << "\n";
    }
    if (auto by_state = reads.cases_by_state()) {
      o << "# HELP fb_cases Cases by state.\n# TYPE fb_cases gauge\n";
      for (const auto& e : vocabulary<CaseState>()) {
        std::int64_t n = 0;
        for (const auto& [s, count] : *by_state)
          if (s == e.value) n = count;
        o << "fb_cases{state=\"" << e.key << "\"} " << n << "\n";
      }
    }
    if (auto overdue = reads.search_cases(
            backend::CaseQuery{.sla = backend::SlaState::overdue, .limit = 500, .now_ms = now()})) {
      gauge("fb_cases_overdue", "Open cases past their next SLA target (at most 500 counted).", overdue->items.size());
    }
    if (auto counts = reads.outstanding_counts()) {
      gauge("fb_notifications_undelivered", "Notifications waiting for the car's delivery receipt.",
            counts->notifications_undelivered);
      gauge("fb_dead_letters", "Distinct dead-lettered messages kept.", counts->dead_letters);
      gauge("fb_cases_awaiting_triage", "Open cases the classifier was not sure of, waiting for a person's triage.",
            counts->awaiting_triage);
    }
    histogram("fb_ingest_latency_seconds", "From a report's arrival at the service to its ack after the commit.",
              ingest);
    histogram("fb_notify_latency_seconds", "From a notification's queueing to the broker's PUBACK of its first send.",
              notify);
    histogram("fb_http_request_duration_seconds", "HTTP request handling time.", http);
    if (!analytics) return respond(HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", o.str(), {}});
    // The callbacks' pick-up times are read on the analytics' connection, on its strand.
    asio::post(analytics_strand, [this, respond, text = o.str()]() mutable {
      if (auto c = analytics->callback_pickups()) {
        std::ostringstream m;
        m << "# HELP fb_callback_pickup_seconds From a driver's callback request to an agent's pick-up (every "
             "callback in the store).\n# TYPE fb_callback_pickup_seconds histogram\n";
        std::int64_t cumulative = 0;
        for (std::size_t i = 0; i < backend::CallbackPickups::kBoundsS.size(); ++i) {
          cumulative += c->buckets[i];
          m << "fb_callback_pickup_seconds_bucket{le=\"" << backend::CallbackPickups::kBoundsS[i] << "\"} "
            << cumulative << "\n";
        }
        m << "fb_callback_pickup_seconds_bucket{le=\"+Inf\"} " << c->count << "\n";
        m << "fb_callback_pickup_seconds_sum " << c->sum_s << "\nfb_callback_pickup_seconds_count " << c->count << "\n";
        m << "# HELP fb_callbacks_waiting Callback requests queued and not picked up yet.\n"
             "# TYPE fb_callbacks_waiting gauge\nfb_callbacks_waiting "
          << c->waiting << "\n";
        text += m.str();
      }
      respond(HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", std::move(text), {}});
    });
  });
}

Result<std::unique_ptr<Api>> Api::create(const asio::any_io_executor& executor, const Clock& clock,
                                         backend::Service& service,
                                         std::vector<std::unique_ptr<backend::CaseStore>> reads,
                                         std::unique_ptr<backend::Analytics> analytics, TokenStore tokens,
                                         ApiOptions options) {
  if (reads.empty()) return fail(ConfigErrc::invalid_value, "the API needs at least one read connection");
  auto impl = std::make_unique<Impl>(executor, clock, service, std::move(reads), std::move(analytics),
                                     std::move(tokens), std::move(options));
  if (!impl->options.console_dir.empty()) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(impl->options.console_dir, ec)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      impl->files[entry.path().filename().string()] = {content_type_of(entry.path()), bytes.str()};
    }
    if (ec) {
      return fail(ConfigErrc::file_not_found,
                  "console directory " + impl->options.console_dir.string() + ": " + ec.message());
    }
  }
  return std::make_unique<Api>(std::move(impl));
}

Api::Api(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Api::~Api() = default;

void Api::handle(const HttpRequest& request, Responder respond) { impl_->handle(request, std::move(respond)); }

}  // namespace fb::api
