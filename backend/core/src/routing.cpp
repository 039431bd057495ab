#include "fb/backend/routing.hpp"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace fb::backend {
namespace {

constexpr auto kMaxFirstResponse = std::chrono::hours(24);

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    out.push_back(trim(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start)));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

std::string format_minutes(std::chrono::minutes m) {
  constexpr std::int64_t kMinutesPerDay = std::int64_t{24} * 60;
  const std::int64_t n = m.count();
  if (n % kMinutesPerDay == 0) return std::to_string(n / kMinutesPerDay) + "d";
  if (n % 60 == 0) return std::to_string(n / 60) + "h";
  return std::to_string(n) + "m";
}

/// One line's context: every error names file and line.
struct LineError {
  const std::string& origin;
  int line;
  std::unexpected<Error> operator()(const std::string& problem) const {
    return fail(ConfigErrc::invalid_value, origin + ":" + std::to_string(line) + ": " + problem);
  }
};

/// Splits a line into whitespace-separated tokens; "..." quotes (with \" and \\ inside) keep
/// spaces; # outside quotes starts a comment.
Result<std::vector<std::string>> tokenize(std::string_view line, const LineError& error) {
  std::vector<std::string> tokens;
  std::string current;
  bool in_token = false;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '\\' && i + 1 < line.size()) {
        current += line[++i];
      } else if (c == '"') {
        quoted = false;
      } else {
        current += c;
      }
      continue;
    }
    if (c == '#') break;
    if (c == ' ' || c == '\t' || c == '\r') {
      if (in_token) tokens.push_back(std::move(current));
      current.clear();
      in_token = false;
      continue;
    }
    in_token = true;
    if (c == '"') {
      quoted = true;
    } else {
      current += c;
    }
  }
  if (quoted) return error("unterminated quote");
  if (in_token) tokens.push_back(std::move(current));
  return tokens;
}

/// key=value tokens; a repeated key is an error.
Result<std::map<std::string, std::string>> key_values(const std::vector<std::string>& tokens, std::size_t from,
                                                      const LineError& error) {
  std::map<std::string, std::string> out;
  for (std::size_t i = from; i < tokens.size(); ++i) {
    const auto eq = tokens[i].find('=');
    if (eq == std::string::npos || eq == 0) return error("expected key=value, got '" + tokens[i] + "'");
    auto key = tokens[i].substr(0, eq);
    if (out.contains(key)) return error("'" + key + "' given twice");
    out.emplace(std::move(key), tokens[i].substr(eq + 1));
  }
  return out;
}

template <HasVocabulary E>
Result<std::vector<E>> parse_list(const std::string& key, const std::string& value, const LineError& error) {
  std::vector<E> out;
  if (value == "*") return out;
  for (const auto& name : split(value, ',')) {
    auto v = parse<E>(name);
    if (!v) return error("unknown " + std::string(Vocabulary<E>::name) + " '" + name + "' in " + key + "=");
    out.push_back(*v);
  }
  return out;
}

Result<std::vector<std::string>> parse_names(const std::string& key, const std::string& value, const LineError& error) {
  std::vector<std::string> out;
  if (value == "*") return out;
  for (const auto& name : split(value, ',')) {
    if (name.empty()) return error("empty name in " + key + "=");
    out.push_back(lower(name));
  }
  return out;
}

template <typename T>
bool matches(const std::vector<T>& allowed, const T& value) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

}  // namespace

std::optional<std::chrono::minutes> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t n = 0;
    const auto digits_start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > 1'000'000) return std::nullopt;
      ++i;
    }
    if (i == digits_start || i == text.size()) return std::nullopt;  // a number needs a unit
    switch (text[i]) {
      case 'm': total += n; break;
      case 'h': total += n * 60; break;
      case 'd': total += n * 24 * 60; break;
      default: return std::nullopt;
    }
    ++i;
  }
  if (total <= 0) return std::nullopt;
  return std::chrono::minutes(total);
}

SlaStage sla_stage(std::chrono::minutes elapsed, std::chrono::minutes target) {
  if (elapsed >= target) return SlaStage::breached;
  if (elapsed * 2 >= target) return SlaStage::half_elapsed;
  return SlaStage::on_track;
}

Result<Router> Router::load(std::string_view text, const std::string& origin) {
  Router router;
  std::map<std::string, int> team_lines;
  std::map<Priority, int> sla_lines;
  std::vector<std::pair<std::string, int>> team_refs;  // checked once every team is known
  int default_line = 0;

  std::istringstream in{std::string(text)};
  std::string raw;
  for (int line_no = 1; std::getline(in, raw); ++line_no) {
    const LineError error{origin, line_no};
    auto tokens = tokenize(raw, error);
    if (!tokens) return fail(tokens.error());
    if (tokens->empty()) continue;
    const auto& directive = tokens->front();

    if (directive == "team") {
      if (tokens->size() < 2) return error("team needs an id: team <id> en=\"...\" zh=\"...\"");
      const auto& id = (*tokens)[1];
      if (!is_vocabulary_key(id)) return error("team id '" + id + "' is not lowercase snake_case");
      if (auto it = team_lines.find(id); it != team_lines.end())
        return error("duplicate team '" + id + "' (first on line " + std::to_string(it->second) + ")");
      auto names = key_values(*tokens, 2, error);
      if (!names) return fail(names.error());
      for (const char* language : {"en", "zh"}) {  // every text the driver sees exists in both
        if (auto it = names->find(language); it == names->end() || it->second.empty())
          return error("team '" + id + "' has no " + language + "= name");
      }
      router.teams_[id] = std::move(*names);
      team_lines[id] = line_no;

    } else if (directive == "sla") {
      if (tokens->size() < 2) return error("sla needs a priority: sla <priority> first_response=... ...");
      auto p = parse<Priority>((*tokens)[1]);
      if (!p) return error("unknown priority '" + (*tokens)[1] + "'");
      if (auto it = sla_lines.find(*p); it != sla_lines.end())
        return error("second sla for " + (*tokens)[1] + " (first on line " + std::to_string(it->second) + ")");
      auto kv = key_values(*tokens, 2, error);
      if (!kv) return fail(kv.error());
      Sla sla;
      const std::pair<const char*, std::chrono::minutes*> fields[] = {{"first_response", &sla.first_response},
                                                                      {"resolution", &sla.resolution},
                                                                      {"progress_every", &sla.progress_every}};
      for (const auto& [key, value] : *kv) {
        auto field = std::find_if(std::begin(fields), std::end(fields), [&](const auto& f) { return key == f.first; });
        if (field == std::end(fields))
          return error("unknown sla field '" + key + "' (first_response, resolution, progress_every)");
        auto d = parse_duration(value);
        if (!d) return error("malformed duration " + key + "=" + value + " (e.g. 90m, 4h, 3d, 1d12h)");
        *field->second = *d;
      }
      for (const auto& [key, target] : fields) {
        if (target->count() == 0) return error("sla " + (*tokens)[1] + " needs " + key + "=");
      }
      if (sla.first_response > kMaxFirstResponse)
        return error("first_response=" + format_minutes(sla.first_response) + " is over the 24h limit");
      if (sla.resolution < sla.first_response) return error("resolution is shorter than first_response");
      router.sla_[*p] = sla;
      sla_lines[*p] = line_no;

    } else if (directive == "route" || directive == "default") {
      if (default_line != 0) {
        return error(directive == "default"
                         ? "second default (first on line " + std::to_string(default_line) + ")"
                         : "route after the default on line " + std::to_string(default_line) + " would never match");
      }
      const auto arrow = std::find(tokens->begin(), tokens->end(), "->");
      if (arrow == tokens->end()) return error("expected '-> <team>'");
      Rule rule;
      rule.line = line_no;
      if (directive == "default" && arrow != tokens->begin() + 1)
        return error("default takes no conditions: default -> <team>");
      std::set<std::string> seen;
      for (auto it = tokens->begin() + 1; it != arrow; ++it) {
        const auto eq = it->find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == it->size())
          return error("expected condition key=value, got '" + *it + "'");
        const auto key = it->substr(0, eq);
        const auto value = it->substr(eq + 1);
        if (!seen.insert(key).second) return error("condition '" + key + "' given twice");
        if (key == "type") {
          auto v = parse_list<CaseType>(key, value, error);
          if (!v) return fail(v.error());
          rule.types = std::move(*v);
        } else if (key == "priority") {
          auto v = parse_list<Priority>(key, value, error);
          if (!v) return fail(v.error());
          rule.priorities = std::move(*v);
        } else if (key == "system") {
          auto v = parse_list<VehicleSystem>(key, value, error);
          if (!v) return fail(v.error());
          rule.systems = std::move(*v);
        } else if (key == "model" || key == "region") {
          auto v = parse_names(key, value, error);
          if (!v) return fail(v.error());
          (key == "model" ? rule.models : rule.regions) = std::move(*v);
        } else {
          return error("unknown condition '" + key + "' (type, priority, system, model, region)");
        }
      }
      std::string targets;
      for (auto it = arrow + 1; it != tokens->end(); ++it) targets += *it + " ";
      const auto teams = split(targets, '+');
      if (teams.size() == 1 && teams[0].empty()) return error("expected a team after '->'");
      std::set<std::string> listed;
      for (const auto& team : teams) {
        if (team.empty()) return error("expected a team after '+'");
        if (team.find(' ') != std::string::npos) return error("expected '+' between teams, got '" + team + "'");
        if (!listed.insert(team).second) return error("team '" + team + "' listed twice");
        team_refs.emplace_back(team, line_no);
      }
      rule.team = teams.front();
      rule.collaborators.assign(teams.begin() + 1, teams.end());
      if (directive == "default") {
        router.default_ = std::move(rule);
        default_line = line_no;
      } else {
        router.rules_.push_back(std::move(rule));
      }

    } else {
      return error("unknown directive '" + directive + "' (team, sla, route, default)");
    }
  }

  const auto whole = [&](const std::string& problem) {
    return fail(ConfigErrc::invalid_value, origin + ": " + problem);
  };
  if (router.teams_.empty()) return whole("no team defined (team <id> en=\"...\" zh=\"...\")");
  for (const auto& [team, line] : team_refs) {
    if (!router.teams_.contains(team)) return LineError{origin, line}("unknown team '" + team + "'");
  }
  if (default_line == 0) return whole("no default rule (default -> <team>)");
  for (const auto& [p, key] : vocabulary<Priority>()) {
    if (!router.sla_.contains(p)) return whole("no sla for priority '" + std::string(key) + "'");
  }
  // Vocabulary order is high, medium, low: a higher priority may not wait longer.
  const auto priorities = vocabulary<Priority>();
  for (std::size_t i = 0; i + 1 < priorities.size(); ++i) {
    const auto& faster = router.sla_.at(priorities[i].value);
    const auto& slower = router.sla_.at(priorities[i + 1].value);
    if (faster.first_response > slower.first_response) {
      return LineError{origin, sla_lines.at(priorities[i].value)}(
          "first_response for " + std::string(priorities[i].key) + " (" + format_minutes(faster.first_response) +
          ") is slower than for " + std::string(priorities[i + 1].key) + " (" + format_minutes(slower.first_response) +
          ")");
    }
  }
  return router;
}

Result<Router> Router::load_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ConfigErrc::file_not_found, path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return load(text.str(), path.string());
}

Route Router::route(const RouteQuery& q) const {
  const Rule* hit = &default_;
  int index = -1;
  const auto model = lower(q.model);
  const auto region = lower(q.region);
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const auto& r = rules_[i];
    if (matches(r.types, q.type) && matches(r.priorities, q.priority) && matches(r.systems, q.system) &&
        matches(r.models, model) && matches(r.regions, region)) {
      hit = &r;
      index = static_cast<int>(i);
      break;
    }
  }
  Route out;
  out.team = hit->team;
  out.team_names = teams_.at(hit->team);
  out.collaborators = hit->collaborators;
  out.sla = sla_.at(q.priority);
  out.first_reply_hours = static_cast<int>((out.sla.first_response.count() + 59) / 60);
  out.rule_line = hit->line;
  out.rule_index = index;
  return out;
}

std::string Router::team_name(const std::string& id, std::string_view language) const {
  auto it = teams_.find(id);
  if (it == teams_.end()) return id;
  const auto lang = lower(language);
  const bool zh = lang == "zh" || lang.starts_with("zh-");
  return it->second.at(zh ? "zh" : "en");
}

}  // namespace fb::backend
