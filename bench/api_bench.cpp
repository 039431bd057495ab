#include "api_bench.hpp"

#include <algorithm>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include <spdlog/fmt/fmt.h>

#include "bench_support.hpp"
#include "fb/api/api.hpp"
#include "fb/backend/analytics.hpp"
#include "fb/backend/notifier.hpp"
#include "fb/backend/rules.hpp"
#include "fb/backend/visits.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/ids.hpp"
#include "fb/common/postgres.hpp"
#include "fb/common/sqlite.hpp"
#include "fb/mqtt/client.hpp"

namespace fb::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr const char* kToken = "bench-agent-after-sales";
constexpr const char* kDealerToken = "bench-dealer-sh-001";
constexpr const char* kDealer = "SH-001";
constexpr const char* kQueue = "/api/v1/cases?state=new,acknowledged,assigned,in_progress&limit=50";
constexpr std::int64_t kSeedStartMs = 1'780'000'000'000;  // the first seeded report; each next one 1 s later

/// 17 characters, one per case.
std::string bench_vin(std::size_t i) {
  auto s = std::to_string(i);
  return "LSVAPIBN" + std::string(9 - s.size(), '0') + s;
}

/// Adds cases `from`..`to` (exclusive) to the store: five kinds of complaint over many cars,
/// each through commit_batch as the service stores them, 1,000 per transaction. Their numbers
/// go to `numbers` when given.
Result<void> seed(backend::CaseStore& store, const backend::Rules& rules, std::size_t from, std::size_t to,
                  std::vector<std::string>* numbers = nullptr, bool contacts = false) {
  static const char* kTexts[] = {"4S店服务顾问态度很差，维修等了三天", "刹车异响，低速时吱吱响",
                                 "发动机异响，加速时咔咔响", "建议增加座椅通风功能", "车机屏幕卡死，导航无法使用"};
  const auto notifications = [](const backend::ReportIntake& in, const backend::CaseRef& ref,
                                std::string_view) -> Result<backend::StoredNotification> {
    return backend::StoredNotification{new_uuid(), in.report->vin(), "n " + ref.case_number, "text"};
  };
  const std::int64_t t0 = kSeedStartMs;
  for (std::size_t start = from; start < to; start += 1000) {
    const auto end = std::min(to, start + 1000);
    std::vector<wire::Envelope> envs;
    envs.reserve(end - start);
    for (std::size_t i = start; i < end; ++i) {
      auto env = codec::new_envelope(t0);
      auto* r = env.mutable_report();
      r->set_report_id(new_uuid());
      r->set_vin(bench_vin(i));
      r->set_model(i % 2 ? "Aurora EV" : "Borealis");
      r->set_model_year(2026);
      r->set_software_version(i % 3 ? "HU-3.2.1" : "HU-3.3.0");
      r->set_car_time_ms(t0 + static_cast<std::int64_t>(i) * 1000);
      r->set_source(wire::SOURCE_DRIVER);
      r->set_category(wire::CATEGORY_OTHER);
      r->set_text(kTexts[i % 5]);
      r->set_language("zh-CN");
      envs.push_back(std::move(env));
    }
    std::vector<backend::BatchItem> items;
    items.reserve(envs.size());
    for (const auto& env : envs) {
      backend::ReportIntake in;
      in.report = &env.report();
      in.payload = codec::encode(env);
      in.digest = codec::sha256(in.payload);
      in.topic = "vehicles/" + env.report().vin() + "/reports";
      in.received_ms = env.report().car_time_ms();
      in.classification = rules.classifier.classify(env.report());
      in.route = rules.router.route(in.classification, env.report().model());
      if (contacts) in.contact = backend::Contact{"Zhang Wei", "139" + env.report().vin().substr(9)};
      items.emplace_back(std::move(in));
    }
    auto done = store.commit_batch(items, notifications);
    if (!done) return fail(done.error());
    if (!numbers) continue;
    for (const auto& o : *done) {
      if (!o.accepted) return fail(o.error ? *o.error : Error(StorageErrc::io, "a seeded report was not stored"));
      numbers->push_back(o.accepted->case_number);
    }
  }
  return {};
}

/// The store's own tables, for the SQL below: the SQLite file or the PostgreSQL schema.
/// Its cache is large: grow_by_copying's inserts land all over indexes of up to 10^6 rows (random
/// uids and report ids), and SQLite's default 2 MiB cache would read most pages from disk again.
/// SQLite's foreign keys are off on it: for a multi-row INSERT into a parent table SQLite looks
/// up the children of every new key, and cases.parent_id has no index (the store never deletes
/// or renumbers cases), so each copied case would scan all cases: quadratic. The copies are
/// consistent by construction.
Result<sql::Database> open_tables(const ApiBenchOptions& o, const std::filesystem::path& db_path) {
  auto db = o.postgres.empty() ? sql::Database::open(db_path) : sql::open_postgres(o.postgres);
  if (!db) return db;
  const auto bulk = o.postgres.empty() ? "PRAGMA cache_size = -1048576; PRAGMA foreign_keys = OFF"
                                       : "SET temp_buffers = '1GB'";
  if (auto r = db->exec(bulk); !r) return fail(r.error());
  return db;
}

/// A queue where a third of the cases moved on: answered and in progress, or closed.
Result<void> spread_states(sql::Database& db) {
  return db.exec(
      "UPDATE cases SET status = 'in_progress', first_response_ms = created_ms + 3600000 WHERE id % 3 = 1 AND "
      "status = 'new' AND major = 0;"
      "UPDATE cases SET status = 'closed', first_response_ms = created_ms + 3600000, resolved_ms = created_ms + "
      "86400000 WHERE id % 3 = 2 AND status = 'new' AND major = 0;");
}

/// Grows the store to `to` cases by copying its first ones (ids 1..n, as seed() numbered them)
/// with their reports: new ids after the last, and "~<last id>" after each uid, number and report id.
/// The same SQL on both stores: PostgreSQL's reports have a rowid column, set past the last; on
/// SQLite the update sets the temporary table's implicit rowid, which the insert leaves out (the
/// copies get new ones). PostgreSQL's sequences are moved past the copies for the inserts after.
Result<void> grow_by_copying(sql::Database& db, bool postgres, std::size_t to) {
  for (;;) {
    auto have = db.query_int("SELECT count(*) FROM cases");
    auto last_case = db.query_int("SELECT coalesce(max(id), 0) FROM cases");
    auto last_report = db.query_int("SELECT coalesce(max(rowid), 0) FROM reports");
    if (!have || !last_case || !last_report) {
      return fail(!have ? have.error() : !last_case ? last_case.error() : last_report.error());
    }
    const auto count = static_cast<std::size_t>(have->value_or(0));
    if (count >= to || count == 0) return {};
    const auto n = std::min(count, to - count);
    std::string copy = fmt::format(
        "BEGIN;"
        "CREATE TEMP TABLE copy_cases AS SELECT * FROM cases WHERE id <= {n};"
        "UPDATE copy_cases SET id = id + {off}, uid = uid || '~{k}', number = number || '~{k}', "
        "parent_id = parent_id + {off}, follow_up_of = follow_up_of + {off};"
        "INSERT INTO cases SELECT * FROM copy_cases;"
        "DROP TABLE copy_cases;"
        "CREATE TEMP TABLE copy_reports AS SELECT * FROM reports WHERE case_id <= {n};"
        "UPDATE copy_reports SET rowid = rowid + {roff}, report_id = report_id || '~{k}', case_id = case_id + {off};"
        "INSERT INTO reports SELECT * FROM copy_reports;"
        "DROP TABLE copy_reports;",
        fmt::arg("n", n), fmt::arg("off", last_case->value_or(0)), fmt::arg("k", last_case->value_or(0)),
        fmt::arg("roff", last_report->value_or(0)));
    if (postgres) {
      copy +=
          "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases));"
          "SELECT setval(pg_get_serial_sequence('reports', 'rowid'), (SELECT max(rowid) FROM reports));";
    }
    copy += "COMMIT;";
    if (auto r = db.exec(copy); !r) return fail(r.error());
  }
}

/// Books `count` visits at the dealer: new cases (as seed() makes them) put in progress with one
/// SQL update (as spread_states() does: three transitions each would be most of the booking's
/// time), a visit proposed on each with one of the dealer's slots, and the car's pick of it
/// (propose_visit, and apply_car_replies for all the picks at once). Returns the visits' ids.
Result<std::vector<std::string>> book_visits(backend::CaseStore& store, const backend::Rules& rules,
                                             const std::filesystem::path& db_path, std::size_t from, std::size_t count,
                                             std::int64_t now_ms) {
  std::vector<std::string> numbers;
  if (auto s = seed(store, rules, from, from + count, &numbers); !s) return fail(s.error());
  {
    auto db = sql::Database::open(db_path);
    if (!db) return fail(db.error());
    std::string in;
    for (const auto& n : numbers) in += (in.empty() ? "'" : ",'") + n + "'";
    if (auto moved = db->exec("UPDATE cases SET status = 'in_progress', first_response_ms = created_ms + 3600000 "
                              "WHERE number IN (" +
                              in + ")");
        !moved)
      return fail(moved.error());
  }
  backend::Notifier notifier(rules.templates, rules.router);
  const backend::NoticeRenderer render = [&](const backend::CaseNotice& n) { return notifier.render(n); };
  constexpr std::int64_t kHour = 3'600'000;
  std::vector<backend::CarReplyIntake> picks;
  picks.reserve(count);
  for (const auto& number : numbers) {
    backend::VisitProposal p;
    p.case_number = number;
    p.actor = "bench";
    p.at_ms = now_ms;
    p.estimate = backend::Money{80000, "CNY"};
    p.slots = {backend::VisitSlot{"", kDealer, "Pudong 4S", now_ms + 24 * kHour, now_ms + 26 * kHour, "gearbox check"}};
    auto v = store.propose_visit(p, render);
    if (!v) return fail(v.error());
    wire::VisitReply pick;
    pick.set_visit_id(v->id);
    pick.set_action(wire::VisitReply::PICK_SLOT);
    pick.set_slot_id(v->slots.at(0).id);
    const auto message_id = new_uuid();
    picks.push_back({message_id, v->vin, pick, now_ms, "vehicles/" + v->vin + "/receipts", message_id});
  }
  auto applied = store.apply_car_replies(picks, render);
  if (!applied) return fail(applied.error());
  std::vector<std::string> ids;
  ids.reserve(picks.size());
  for (std::size_t i = 0; i < picks.size(); ++i) {
    if (!(*applied)[i].receipt_matched) return fail(StorageErrc::io, "a seeded visit was not booked");
    ids.push_back(std::get<wire::VisitReply>(picks[i].body).visit_id());
  }
  return ids;
}

/// The body of each stage entry of a visit, in order: check-in with the expected ready time,
/// inspection, diagnosis with findings, repair within the estimate (700 of 800 CNY), a passed
/// quality check, handover.
std::vector<std::string> stage_bodies(std::int64_t ready_at_ms) {
  using nlohmann::json;
  const auto cny = [](std::int64_t minor) { return json{{"minor", minor}, {"currency", "CNY"}}; };
  return {
      json{{"stage", "checked_in"}, {"ready_at_ms", ready_at_ms}, {"note", "plate and VIN read"}}.dump(),
      json{{"stage", "inspection"}}.dump(),
      json{{"stage", "diagnosis"}, {"findings", "worn clutch pack"}, {"dtcs", json::array({"P0700"})}}.dump(),
      json{{"stage", "repair"},
           {"parts", json::array({json{{"name", "clutch pack"}, {"quantity", 1}, {"unit_price", cny(50000)}}})},
           {"labour", cny(20000)}}
          .dump(),
      json{{"stage", "quality_check"}, {"passed", true}}.dump(),
      json{{"stage", "handed_over"}, {"note", "keys returned"}}.dump(),
  };
}

ApiLoad summarize(std::vector<double>& latencies, std::size_t errors, double elapsed) {
  ApiLoad out;
  out.errors = errors;
  out.rate = static_cast<double>(latencies.size()) / elapsed;
  std::sort(latencies.begin(), latencies.end());
  const auto pct = [&](double p) {
    return latencies.empty() ? 0.0
                             : latencies[std::min(latencies.size() - 1,
                                                  static_cast<std::size_t>(p * static_cast<double>(latencies.size())))];
  };
  out.p50_ms = pct(0.5);
  out.p99_ms = pct(0.99);
  return out;
}

/// `connections` keep-alive clients, each sending `target` again as soon as the answer is in,
/// for `seconds`, on one thread.
ApiLoad load(std::uint16_t port, const std::string& target, int connections, double seconds) {
  asio::io_context io;
  std::vector<double> latencies;
  std::size_t errors = 0;
  const auto deadline = SteadyClock::now() +
                        std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
  struct Client : std::enable_shared_from_this<Client> {
    Client(asio::io_context& io, std::vector<double>& l, std::size_t& e, SteadyClock::time_point d)
        : stream(io),
          lat(l),
          errs(e),
          deadline(d) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::empty_body> req;
    http::response<http::string_body> res;
    std::vector<double>& lat;
    std::size_t& errs;
    SteadyClock::time_point deadline, sent;
    void next() {
      if (SteadyClock::now() >= deadline) return;
      res = {};
      sent = SteadyClock::now();
      http::async_write(stream, req, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return void(++self->errs);
        http::async_read(self->stream, self->buffer, self->res, [self](beast::error_code ec, std::size_t) {
          if (ec) return void(++self->errs);
          self->lat.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - self->sent).count());
          if (self->res.result_int() != 200) ++self->errs;
          self->next();
        });
      });
    }
  };
  std::vector<std::shared_ptr<Client>> clients;
  for (int i = 0; i < connections; ++i) {
    auto c = std::make_shared<Client>(io, latencies, errors, deadline);
    c->req = http::request<http::empty_body>(http::verb::get, target, 11);
    c->req.set(http::field::host, "127.0.0.1");
    c->req.set(http::field::authorization, std::string("Bearer ") + kToken);
    c->req.keep_alive(true);
    c->stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    clients.push_back(c);
  }
  const auto started = SteadyClock::now();
  for (auto& c : clients) c->next();
  io.run();
  const double elapsed = std::chrono::duration<double>(SteadyClock::now() - started).count();
  return summarize(latencies, errors, elapsed);
}

/// One keep-alive dealer connection per element of `walks`, each entering the next stage of its
/// own visits (stage_bodies order) as soon as the answer is in, until `seconds` have passed or
/// its visits are all handed over. A non-200 answer is an error and leaves that visit behind.
ApiLoad stage_load(std::uint16_t port, const std::vector<std::vector<std::string>>& walks, double seconds,
                   bool& ran_out, std::string& first_error) {
  asio::io_context io;
  std::vector<double> latencies;
  std::size_t errors = 0;
  const auto deadline = SteadyClock::now() +
                        std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
  const auto bodies = stage_bodies(SystemClock::instance().epoch_ms() + std::int64_t{6} * 3'600'000);
  struct Shared {
    std::vector<double>& lat;
    std::size_t& errs;
    bool& ran_out;
    std::string& first_error;
    const std::vector<std::string>& bodies;
    SteadyClock::time_point deadline;
  } shared{latencies, errors, ran_out, first_error, bodies, deadline};
  struct Dealer : std::enable_shared_from_this<Dealer> {
    Dealer(asio::io_context& io, Shared& s, const std::vector<std::string>& v) : stream(io), sh(s), visits(v) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::response<http::string_body> res;
    Shared& sh;
    const std::vector<std::string>& visits;
    std::size_t visit = 0, stage = 0;
    SteadyClock::time_point sent;
    void next() {
      if (SteadyClock::now() >= sh.deadline) return;
      if (stage == sh.bodies.size()) {
        ++visit;
        stage = 0;
      }
      if (visit == visits.size()) return void(sh.ran_out = true);
      req.target("/api/v1/visits/" + visits[visit] + "/stages");
      req.body() = sh.bodies[stage];
      req.prepare_payload();
      res = {};
      sent = SteadyClock::now();
      http::async_write(stream, req, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return void(++self->sh.errs);
        http::async_read(self->stream, self->buffer, self->res, [self](beast::error_code ec, std::size_t) {
          if (ec) return void(++self->sh.errs);
          self->sh.lat.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - self->sent).count());
          if (self->res.result_int() == 200) {
            ++self->stage;
          } else {
            ++self->sh.errs;
            if (self->sh.first_error.empty())
              self->sh.first_error = std::to_string(self->res.result_int()) + " " + self->res.body();
            self->stage = self->sh.bodies.size();  // this visit is stuck: on to the next
          }
          self->next();
        });
      });
    }
  };
  std::vector<std::shared_ptr<Dealer>> dealers;
  for (const auto& visits : walks) {
    auto d = std::make_shared<Dealer>(io, shared, visits);
    d->req = http::request<http::string_body>(http::verb::post, "/", 11);
    d->req.set(http::field::host, "127.0.0.1");
    d->req.set(http::field::authorization, std::string("Bearer ") + kDealerToken);
    d->req.set(http::field::content_type, "application/json");
    d->req.keep_alive(true);
    d->stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    dealers.push_back(d);
  }
  const auto started = SteadyClock::now();
  for (auto& d : dealers) d->next();
  io.run();
  const double elapsed = std::chrono::duration<double>(SteadyClock::now() - started).count();
  return summarize(latencies, errors, elapsed);
}

/// Median milliseconds of five dashboards over every case seeded so far (`cases`), all teams.
Result<double> time_dashboard(backend::Analytics& analytics, std::size_t cases) {
  constexpr std::int64_t kDayMs = std::int64_t{24} * 3600 * 1000;
  const auto to = kSeedStartMs + static_cast<std::int64_t>(cases) * 1000 + kDayMs;
  Samples calls;
  for (int i = 0; i < 5; ++i) {
    const auto started = SteadyClock::now();
    auto d = analytics.dashboard({kSeedStartMs, to, {}, to, backend::Bucket::day});
    if (!d) return fail(d.error());
    if (d->cases_created == 0) return fail(StorageErrc::not_found, "the dashboard found none of the seeded cases");
    calls.add(SteadyClock::now() - started);
  }
  return calls.percentile_ms(0.5);  // the third of five
}

}  // namespace

Result<double> measure_commit_with_contacts(backend::CaseStore& store, const std::filesystem::path& rules_dir,
                                            std::size_t reports) {
  auto rules = backend::load_rules(rules_dir);
  if (!rules) return fail(rules.error());
  const auto started = SteadyClock::now();
  if (auto s = seed(store, *rules, 0, reports, nullptr, true); !s) return fail(s.error());
  return static_cast<double>(reports) / std::chrono::duration<double>(SteadyClock::now() - started).count();
}

Result<ApiResults> measure_api(const ApiBenchOptions& o) {
  auto rules = backend::load_rules(o.rules_dir);
  if (!rules) return fail(rules.error());
  const auto db = o.work_dir / "api-bench.db";
  std::filesystem::remove(db);
  backend::GroupingPolicy separate;
  separate.merge_window_ms = 0;
  const auto open_store = [&](backend::GroupingPolicy grouping) {
    return o.postgres.empty() ? backend::open_sqlite_case_store(db, 0, grouping)
                              : backend::open_postgres_case_store(o.postgres, grouping, {});
  };
  auto writer = open_store(separate);
  if (!writer) return fail(writer.error());
  auto tables = open_tables(o, db);
  if (!tables) return fail(tables.error());

  // The server as fb-backend runs it: two threads on one context, the API's reads on a strand.
  // The Service is there because the API needs one for changes; it is never started (no broker).
  asio::io_context io;
  auto strand = asio::make_strand(io.get_executor());
  auto& clock = SystemClock::instance();
  mqtt::ClientOptions never;
  never.server_uri = "tcp://127.0.0.1:1";
  never.client_id = "api-bench";
  auto service_store = open_store({});
  if (!service_store) return fail(service_store.error());
  auto service_rules = backend::load_rules(o.rules_dir);
  if (!service_rules) return fail(service_rules.error());
  backend::Service service(strand, clock, {}, std::move(*service_store), std::move(*service_rules),
                           mqtt::make_paho_client(asio::make_strand(io.get_executor()), clock, never));
  std::vector<std::unique_ptr<backend::CaseStore>> readers;
  for (int i = 0; i < 2; ++i) {
    auto reads = open_store({});
    if (!reads) return fail(reads.error());
    readers.push_back(std::move(*reads));
  }
  auto tokens = api::TokenStore::parse(
      api::TokenStore::line_for(kToken, api::Principal{"bench", api::Role::agent, "after_sales"}) + "\n" +
          api::TokenStore::line_for(kDealerToken, api::Principal{"wang", api::Role::dealer, kDealer}),
      "bench");
  if (!tokens) return fail(tokens.error());
  auto api = api::Api::create(io.get_executor(), clock, service, std::move(readers), nullptr, std::move(*tokens),
                              api::ApiOptions{{}, o.rules_dir});
  if (!api) return fail(api.error());
  api::HttpServerOptions http_options;
  http_options.port = 0;
  http_options.max_connections = 1024;
  api::HttpServer server(io, http_options,
                         [&](const api::HttpRequest& r, api::Responder done) { (*api)->handle(r, std::move(done)); });
  if (auto r = server.start(); !r) return fail(r.error());
  auto guard = asio::make_work_guard(io);
  std::thread t1([&] { io.run(); });
  std::thread t2([&] { io.run(); });

  ApiResults out;
  std::unique_ptr<backend::Analytics> analytics;  // opened once the store has its first cases
  std::size_t have = 0;
  Result<void> failed;
  for (auto size : o.sizes) {
    const auto filling = SteadyClock::now();
    if (const auto real = std::max(have, std::min(size, o.copy_beyond)); real > have) {
      if (auto s = seed(**writer, *rules, have, real); !s) {
        failed = fail(s.error());
        break;
      }
      have = real;
    }
    if (size > have) {
      if (auto s = grow_by_copying(*tables, !o.postgres.empty(), size); !s) {
        failed = fail(s.error());
        break;
      }
      have = size;
    }
    if (auto s = spread_states(*tables); !s) {
      failed = fail(s.error());
      break;
    }
    // PostgreSQL plans by statistics that autovacuum keeps up to date in a running store; a store
    // grown in seconds has none yet (the planner would guess hundreds of reports per case).
    if (!o.postgres.empty()) {
      if (auto s = tables->exec("ANALYZE"); !s) {
        failed = fail(s.error());
        break;
      }
    }
    ApiMeasure m;
    m.cases = size;
    m.fill_seconds = std::chrono::duration<double>(SteadyClock::now() - filling).count();
    load(server.port(), kQueue, o.connections, 0.3);  // warm-up: statement cache, page cache
    m.health = load(server.port(), "/healthz", o.connections, o.seconds);
    m.list = load(server.port(), kQueue, o.connections, o.seconds);
    m.list_due = load(server.port(), std::string(kQueue) + "&sort=due", o.connections, o.seconds);
    if (!analytics) {
      auto opened = o.postgres.empty() ? backend::open_sqlite_analytics(db)
                                       : backend::open_postgres_analytics(o.postgres);
      if (!opened) {
        failed = fail(opened.error());
        break;
      }
      analytics = std::move(*opened);
    }
    if (auto d = time_dashboard(*analytics, have); !d) {
      failed = fail(d.error());
      break;
    } else {
      m.dashboard_ms = *d;
    }
    if (o.ingest_probe > 0) {
      const auto started = SteadyClock::now();
      if (auto s = seed(**writer, *rules, have, have + o.ingest_probe); !s) {
        failed = fail(s.error());
        break;
      }
      m.commit_rate = static_cast<double>(o.ingest_probe) /
                      std::chrono::duration<double>(SteadyClock::now() - started).count();
      have += o.ingest_probe;
    }
    out.lists.push_back(m);
  }
  if (failed && o.visit_stage && o.postgres.empty() && !out.lists.empty()) {
    const auto connections = static_cast<std::size_t>(o.connections);
    const auto booking = SteadyClock::now();
    auto ids = book_visits(**writer, *rules, db, have, connections * o.visits_per_connection, clock.epoch_ms());
    if (!ids) {
      failed = fail(ids.error());
    } else {
      std::vector<std::vector<std::string>> walks(connections);
      for (std::size_t i = 0; i < ids->size(); ++i) walks[i % connections].push_back((*ids)[i]);
      ApiVisitMeasure v;
      v.visits = ids->size();
      v.booking_seconds = std::chrono::duration<double>(SteadyClock::now() - booking).count();
      v.cases = have + ids->size();
      v.health = out.lists.back().health;
      v.stages = stage_load(server.port(), walks, o.stage_seconds, v.ran_out, v.first_error);
      out.visit_stage = v;
    }
  }
  server.stop();
  guard.reset();
  io.stop();
  t1.join();
  t2.join();
  if (!failed) return fail(failed.error());
  return out;
}

}  // namespace fb::bench
