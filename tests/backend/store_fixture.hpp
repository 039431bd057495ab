// Helpers shared by the backend store and ingest tests.
#pragma once

#include "../common/report_fixture.hpp"
#include "fb/backend/case_store.hpp"
#include "fb/backend/rules.hpp"
#include "paths.hpp"

namespace fb::test {

inline backend::Rules& shipped_rules() {
  static backend::Rules rules = [] {
    auto r = backend::load_rules(kRulesDir);
    if (!r) throw std::runtime_error(r.error().what());
    return std::move(*r);
  }();
  return rules;
}

inline backend::ReportIntake intake(const wire::Envelope& env, std::int64_t at_ms) {
  backend::ReportIntake in;
  in.report = &env.report();
  in.payload = codec::encode(env);
  in.digest = codec::sha256(in.payload);
  in.topic = "vehicles/" + env.report().vin() + "/reports";
  in.received_ms = at_ms;
  in.classification = shipped_rules().classifier.classify(env.report());
  in.route = shipped_rules().router.route(in.classification, env.report().model());
  return in;
}

inline backend::NotificationFactory simple_notifications() {
  return [](const backend::ReportIntake& in, const backend::CaseRef& ref,
            std::string_view /*event*/) -> Result<backend::StoredNotification> {
    return backend::StoredNotification{new_uuid(), in.report->vin(), "payload for " + ref.case_number, "text"};
  };
}

}  // namespace fb::test
