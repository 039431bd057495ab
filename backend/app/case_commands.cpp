#include "case_commands.hpp"

#include <iostream>

#include "cli_error.hpp"
#include "fb/backend/ingest.hpp"
#include "fb/backend/notifier.hpp"
#include "fb/backend/rules.hpp"
#include "fb/common/ids.hpp"

namespace fb::backend {
namespace {

void print_case(const CaseSummary& c) {
  std::cout << c.case_number << (c.major ? " (major)" : "") << "  " << (c.vin.empty() ? "-" : c.vin) << "  "
            << to_string(c.type) << "/" << to_string(c.priority) << "/" << to_string(c.system) << "  -> " << c.team <<
      [&] {
        std::string with;
        for (const auto& t : c.collaborators) with += " + " + t;
        return with;
      }() << (c.assignee.empty() ? "" : " (" + c.assignee + ")")
            << "  [" << to_string(c.state) << "]"
            << (c.parent_case_number.empty() ? "" : "  child of " + c.parent_case_number) << "\n";
}

}  // namespace

CaseCommands::CaseCommands(CLI::App& app)
    : show_(app.add_subcommand("case", "Show a case and its audit trail")),
      move_(app.add_subcommand("move", "Move a case through its lifecycle (audited; the driver is notified)")),
      clusters_(app.add_subcommand("clusters", "List clusters of similar cases across vehicles")),
      csat_(app.add_subcommand("csat", "Average survey score (1-5) and the number of answers")),
      submit_(app.add_subcommand("submit", "Enter a report from another channel (hotline, dealer, web)")) {
  show_->add_option("number", number_, "Case number, e.g. FB-2026-000123")->required();
  move_->add_option("number", number_, "Case number")->required();
  move_
      ->add_option("--to", to_,
                   "acknowledged, assigned, in_progress, waiting_for_customer, appointment, resolved, "
                   "closed, reopened")
      ->required();
  move_->add_option("--actor", actor_, "Who (recorded in the audit)")->required();
  move_->add_option("--reason", reason_, "Why (recorded, and told to the driver where it fits)")->required();
  move_->add_option("--assignee", assignee_, "Owner, for --to assigned");
  move_->add_option("--when", when_, "Appointment time, for --to appointment");
  move_->add_option("--place", place_, "Appointment place, for --to appointment");
  clusters_->add_option("-n,--limit", limit_, "How many");
  submit_->add_option("--channel", channel_, "hotline, dealer, web, ...")->required();
  submit_->add_option("--vin", vin_, "The customer's VIN")->required();
  submit_->add_option("--text", text_, "What the customer said")->required();
  submit_->add_option("--model", model_, "The car's model")->required();
  submit_->add_option("--year", model_year_, "The car's model year")->required();
  submit_->add_option("--software", software_, "Head-unit software version, if known");
  submit_->add_option("--lang", language_, "BCP 47 language of the text (default zh-CN)");
  submit_->add_option("--report-id", report_id_, "Idempotency key (UUID); a new one if omitted");
}

bool CaseCommands::selected() const {
  return show_->parsed() || move_->parsed() || clusters_->parsed() || csat_->parsed() || submit_->parsed();
}

int CaseCommands::run(const BackendConfig& cfg, const std::shared_ptr<const crypto::KeyRing>& keys) const {
  auto store = open_case_store(cfg, keys);
  if (!store) return print_error(store.error());
  auto& s = **store;
  if (show_->parsed()) {
    auto c = s.find_case(number_);
    if (!c) return print_error(c.error());
    if (!*c) return print_error(Error(CaseErrc::not_found, number_));
    print_case(**c);
    auto events = s.case_events(number_);
    if (!events) return print_error(events.error());
    for (const auto& e : *events)
      std::cout << "  " << e.at_ms << "  " << e.kind << "  " << e.actor << "  " << e.detail << "\n";
    return 0;
  }
  if (clusters_->parsed()) {
    auto list = s.list_clusters(limit_);
    if (!list) return print_error(list.error());
    for (const auto& k : *list) {
      std::cout << "#" << k.id << "  " << k.key << "  " << k.model << " " << k.software_version << "  " << k.vehicles
                << " vehicle(s), " << k.cases << " case(s)"
                << (k.major_case_number.empty() ? "" : "  major " + k.major_case_number)
                << (k.warned_ms ? "  EARLY WARNING" : "") << "\n";
    }
    return 0;
  }
  if (csat_->parsed()) {
    auto score = s.survey_score();
    if (!score) return print_error(score.error());
    std::cout << "CSAT " << score->first << " from " << score->second << " answer(s), one per closing\n";
    return 0;
  }
  auto rules = load_rules(cfg.rules_dir);
  if (!rules) return print_error(rules.error());
  if (move_->parsed()) {
    auto to = parse<CaseState>(to_);
    if (!to) return print_error(Error(CaseErrc::invalid_transition, "unknown state '" + to_ + "'"));
    Notifier notifier(rules->templates, rules->router);
    TransitionRequest req{number_, *to, actor_, reason_, SystemClock::instance().epoch_ms(), assignee_, when_, place_};
    auto moved = s.transition(req, [&](const CaseNotice& n) { return notifier.render(n); });
    if (!moved) return print_error(moved.error());
    print_case(moved->c);
    std::cout << moved->notifications.size() << " notification(s) queued"
              << (moved->children_moved ? ", " + std::to_string(moved->children_moved) + " child case(s) moved" : "")
              << "\n";
    return 0;
  }
  wire::Report r;
  r.set_report_id(report_id_.empty() ? new_uuid() : report_id_);
  r.set_vin(vin_);
  r.set_model(model_);
  r.set_model_year(model_year_);
  r.set_software_version(software_);
  r.set_text(text_);
  r.set_language(language_);
  r.set_car_time_ms(SystemClock::instance().epoch_ms());
  r.set_category(wire::CATEGORY_OTHER);
  Ingest ingest(s, *rules, SystemClock::instance());
  auto accepted = ingest.accept_from_channel(r, channel_);
  if (!accepted) return print_error(accepted.error());
  auto c = s.find_case(accepted->ref.case_number);
  if (c && *c) print_case(**c);
  std::cout << (accepted->ref.duplicate ? "duplicate of "
                : accepted->ref.merged  ? "merged into "
                                        : "created ")
            << accepted->ref.case_number << "\n";
  return 0;
}

}  // namespace fb::backend
