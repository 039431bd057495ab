// Training, evaluation and the batch command around the Classifier (triage.hpp).
#include <algorithm>
#include <cmath>
#include <istream>
#include <ostream>
#include <unordered_map>

#include "fb/backend/triage.hpp"
#include "text_classes.hpp"

namespace fb::backend {
namespace {

using detail::is_service_system;
using detail::vocabulary_index;

bool is_service_system_index(std::size_t system_index) {
  return is_service_system(vocabulary<VehicleSystem>()[system_index].value);
}

std::uint64_t next_random(std::uint64_t& state) {  // splitmix64: the same sequence everywhere
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Averaged perceptron weights: w (current) and u (sum of step-weighted updates); the average
/// after c steps is w - u / c.
struct Accumulator {
  std::array<double, kModelClasses> w{}, u{};
};

}  // namespace

wire::Report to_report(const LabelledReport& item) {
  wire::Report r;
  r.set_text(item.text);
  r.set_language(item.lang);
  r.set_source(wire::SOURCE_DRIVER);
  if (!item.category.empty()) {
    if (auto c = parse<wire::Category>(item.category)) r.set_category(*c);
  }
  for (const auto& d : item.dtcs) r.add_dtcs(d);
  if (item.speed_kmh > 0) {
    auto* s = r.mutable_snapshot()->add_signals();
    s->set_path("Vehicle.Speed");
    s->add_t_ms(0);
    s->add_values(item.speed_kmh);
  }
  return r;
}

LinearModel train_model(const Classifier& rules, const std::vector<LabelledReport>& corpus,
                        const TrainOptions& options) {
  struct Example {
    std::vector<std::uint32_t> features;
    std::size_t type, system;
    std::optional<std::size_t> priority;
  };
  std::vector<Example> examples;
  examples.reserve(corpus.size());
  ReportFeatures f;
  for (const auto& item : corpus) {
    rules.features(to_report(item), f);
    Example e;
    for (const auto& [id, origin] : f.features) e.features.push_back(id);
    e.type = vocabulary_index(item.type);
    e.system = vocabulary_index(item.system);
    if (item.priority) e.priority = vocabulary_index(*item.priority);
    examples.push_back(std::move(e));
  }

  std::unordered_map<std::uint32_t, Accumulator> weights;
  double step = 1;
  std::vector<std::size_t> order(examples.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::uint64_t state = options.seed;
  const auto update = [&](const Example& e, std::size_t offset, std::size_t count, std::size_t gold,
                          const auto& allowed) {
    std::array<double, kModelClasses> s{};
    for (auto id : e.features) {
      if (auto it = weights.find(id); it != weights.end())
        for (std::size_t k = 0; k < count; ++k) s[k] += it->second.w[offset + k];
    }
    // The strongest rival; an update unless gold beats it outright (a tie counts as an error).
    std::optional<std::size_t> rival;
    for (std::size_t k = 0; k < count; ++k)
      if (k != gold && allowed(k) && (!rival || s[k] > s[*rival])) rival = k;
    if (!rival || s[gold] > s[*rival]) return;
    const auto best = *rival;
    for (auto id : e.features) {
      auto& a = weights[id];
      a.w[offset + gold] += 1;
      a.u[offset + gold] += step;
      a.w[offset + best] -= 1;
      a.u[offset + best] -= step;
    }
  };
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[next_random(state) % i]);
    for (auto i : order) {
      const auto& e = examples[i];
      update(e, kTypeOffset, kTypeClasses, e.type, [](std::size_t) { return true; });
      const bool service = is_service_system_index(e.system);
      update(e, kSystemOffset, kSystemClasses, e.system,
             [service](std::size_t k) { return is_service_system_index(k) == service; });
      if (e.priority) update(e, kPriorityOffset, kPriorityClasses, *e.priority, [](std::size_t) { return true; });
      step += 1;
    }
  }
  LinearModel model;
  std::vector<std::uint32_t> ids;
  ids.reserve(weights.size());
  for (const auto& [id, a] : weights) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (auto id : ids) {
    const auto& a = weights.at(id);
    ClassScores avg{};
    for (std::size_t k = 0; k < kModelClasses; ++k) avg[k] = static_cast<float>(a.w[k] - a.u[k] / step);
    model.set(id, avg);
  }
  return model;
}

std::map<std::string, EvalScores> evaluate(const Classifier& classifier, const std::vector<LabelledReport>& corpus) {
  struct Tally {
    std::size_t n = 0, system_ok = 0, type_ok = 0, prio_n = 0, prio_ok = 0, safety = 0, safety_high = 0, high = 0,
                high_safety = 0, human = 0, confident = 0, confident_ok = 0;
    std::array<std::size_t, kTypeClasses> tp{}, fp{}, fn{};
  };
  std::map<std::string, Tally> tallies;
  for (const auto& item : corpus) {
    const auto c = classifier.classify(to_report(item));
    for (const auto& key : {std::string("all"), item.lang, item.lang + "/" + item.source}) {
      auto& t = tallies[key];
      ++t.n;
      const bool system_ok = c.system == item.system, type_ok = c.type == item.type;
      t.system_ok += system_ok;
      t.type_ok += type_ok;
      const auto gold = vocabulary_index(item.type), got = vocabulary_index(c.type);
      if (type_ok) {
        ++t.tp[gold];
      } else {
        ++t.fp[got];
        ++t.fn[gold];
      }
      if (item.priority) {
        ++t.prio_n;
        t.prio_ok += c.priority == *item.priority;
      }
      const bool high = c.priority == Priority::high;
      t.safety += item.safety;
      t.safety_high += item.safety && high;
      t.high += high;
      t.high_safety += high && item.safety;
      t.human += c.needs_human_triage;
      if (!c.needs_human_triage) {
        ++t.confident;
        t.confident_ok += system_ok && type_ok;
      }
    }
  }
  std::map<std::string, EvalScores> out;
  const auto ratio = [](std::size_t a, std::size_t b) {
    return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
  };
  for (const auto& [key, t] : tallies) {
    EvalScores s;
    s.items = t.n;
    s.system_accuracy = ratio(t.system_ok, t.n);
    s.type_accuracy = ratio(t.type_ok, t.n);
    double f1_sum = 0;
    int classes = 0;
    for (std::size_t k = 0; k < kTypeClasses; ++k) {
      if (t.tp[k] + t.fp[k] + t.fn[k] == 0) continue;
      ++classes;
      f1_sum += 2.0 * static_cast<double>(t.tp[k]) / static_cast<double>(2 * t.tp[k] + t.fp[k] + t.fn[k]);
    }
    s.type_macro_f1 = classes ? f1_sum / classes : 0;
    s.priority_labelled = t.prio_n;
    s.priority_accuracy = ratio(t.prio_ok, t.prio_n);
    s.safety_items = t.safety;
    s.safety_recall = ratio(t.safety_high, t.safety);
    s.high_precision = ratio(t.high_safety, t.high);
    s.needs_human_share = ratio(t.human, t.n);
    s.accuracy_when_confident = ratio(t.confident_ok, t.confident);
    out[key] = s;
  }
  return out;
}

nlohmann::json to_json(const EvalScores& s) {
  const auto r3 = [](double v) { return std::round(v * 1000) / 1000; };
  return {{"items", s.items},
          {"system_accuracy", r3(s.system_accuracy)},
          {"type_accuracy", r3(s.type_accuracy)},
          {"type_macro_f1", r3(s.type_macro_f1)},
          {"priority_accuracy", r3(s.priority_accuracy)},
          {"priority_labelled", s.priority_labelled},
          {"safety_items", s.safety_items},
          {"safety_recall_as_high", r3(s.safety_recall)},
          {"high_precision_for_safety", r3(s.high_precision)},
          {"needs_human_share", r3(s.needs_human_share)},
          {"accuracy_when_confident", r3(s.accuracy_when_confident)}};
}

std::size_t classify_stream(std::istream& in, std::ostream& out, const Classifier& classifier, const Router& router,
                            bool explain) {
  std::size_t bad = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string text;
    const auto error = [&](const nlohmann::json& id, const std::string& what) {
      ++bad;
      text = "{\"id\":" + id.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
             ",\"error\":" + nlohmann::json(what).dump() + "}";
    };
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      error(nullptr, "not valid JSON");
    } else if (!j.is_object()) {
      error(nullptr, "expected a JSON object");
    } else {
      const auto id = j.contains("id") ? j.at("id") : nlohmann::json(nullptr);
      wire::Report r;
      std::string problem;
      if (!j.contains("id")) problem = "missing id";
      else if (!j.contains("text") || !j.at("text").is_string()) problem = "text: expected a string";
      if (problem.empty()) r.set_text(j.at("text").get<std::string>());
      if (problem.empty() && j.contains("lang")) {
        const auto& l = j.at("lang");
        if (!l.is_string() || (l != "zh" && l != "en")) problem = "lang: expected \"zh\" or \"en\"";
        else r.set_language(l.get<std::string>());
      }
      if (problem.empty() && j.contains("dtcs")) {
        const auto& d = j.at("dtcs");
        if (!d.is_array() || !std::all_of(d.begin(), d.end(), [](const auto& x) { return x.is_string(); }))
          problem = "dtcs: expected an array of strings";
        else
          for (const auto& x : d) r.add_dtcs(x.get<std::string>());
      }
      if (problem.empty() && j.contains("category")) {
        const auto& c = j.at("category");
        auto parsed = c.is_string() ? parse<wire::Category>(c.get<std::string>()) : std::nullopt;
        if (!parsed) problem = "category: unknown report category";
        else r.set_category(*parsed);
      }
      if (problem.empty() && j.contains("speed_kmh")) {
        if (!j.at("speed_kmh").is_number()) {
          problem = "speed_kmh: expected a number";
        } else {
          auto* s = r.mutable_snapshot()->add_signals();
          s->set_path("Vehicle.Speed");
          s->add_t_ms(0);
          s->add_values(j.at("speed_kmh").get<double>());
        }
      }
      if (!problem.empty()) {
        error(id, problem);
      } else {
        r.set_source(wire::SOURCE_DRIVER);
        const auto c = classifier.classify(r);
        const auto route = router.route(c);
        // Written by hand to keep the documented key order (nlohmann::json sorts keys).
        const auto str = [](std::string_view v) { return nlohmann::json(v).dump(); };
        text = "{\"id\":" + id.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
               ",\"type\":" + str(to_string(c.type)) + ",\"priority\":" + str(to_string(c.priority)) +
               ",\"system\":" + str(to_string(c.system)) + ",\"team\":" + str(route.team) +
               ",\"confidence\":" + nlohmann::json(std::round(c.confidence * 1000) / 1000).dump();
        if (explain) {
          text += std::string(",\"needs_human_triage\":") + (c.needs_human_triage ? "true" : "false") +
                  ",\"explanation\":" +
                  nlohmann::json(c.evidence).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
        text += "}";
      }
    }
    out << text << '\n';
  }
  out.flush();
  return bad;
}

}  // namespace fb::backend
