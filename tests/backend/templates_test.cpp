#include "fb/backend/templates.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "fb/common/config.hpp"
#include "paths.hpp"

namespace fb::backend {
namespace {

nlohmann::json deployed() {
  auto doc = config::load_json(std::string(test::kRulesDir) + "/templates.json");
  EXPECT_TRUE(doc) << doc.error().what();
  return *doc;
}

Templates load() {
  auto t = Templates::load(deployed(), "templates.json");
  EXPECT_TRUE(t) << t.error().what();
  return *t;
}

/// The load error after `edit` on the deployed file, or "loaded".
std::string load_error(const std::function<void(nlohmann::json&)>& edit) {
  auto doc = deployed();
  edit(doc);
  auto t = Templates::load(doc, "templates.json");
  return t ? std::string("loaded") : t.error().detail;
}

TEST(Templates, PicksTheLanguageByPrefixAndFallsBack) {
  auto t = load();
  EXPECT_EQ(t.pick_language("received", "zh-CN"), "zh");
  EXPECT_EQ(t.pick_language("received", "ZH-Hans"), "zh");
  EXPECT_EQ(t.pick_language("received", "zhx"), "en");  // not a prefix at a subtag boundary
  EXPECT_EQ(t.pick_language("received", "de-DE"), "en");
}

TEST(Templates, EveryEventRendersInBothLanguagesWithItsPlaceholders) {
  auto t = load();
  const std::map<std::string, std::string> vars{{"case_number", "FB-2026-000042"},
                                                {"team", "after-sales"},
                                                {"hours", "4"},
                                                {"answer", "ANSWER"},
                                                {"workaround", "WORKAROUND"},
                                                {"when", "3 Dec 09:30"},
                                                {"place", "Dealer Nord"},
                                                {"status", "in progress"},
                                                {"note", "NOTE"},
                                                {"assignee", "Li Wei"},
                                                {"message", "MESSAGE"},
                                                {"sender", "Li Wei"},
                                                {"slots", "1) 2026-12-05 09:30"},
                                                {"estimate", "800.00 CNY"},
                                                {"dealer", "Pudong 4S"},
                                                {"work", "gearbox check"},
                                                {"reason", "REASON"},
                                                {"ready", "2026-12-05 17:00"},
                                                {"findings", "FINDINGS"},
                                                {"cost", "700.00 CNY"},
                                                {"amount", "150.00 CNY"},
                                                {"agent", "Zhang Wei"},
                                                {"outcome", "OUTCOME"}};
  for (auto event : Templates::events()) {
    for (const char* lang : {"zh-CN", "en-GB"}) {
      auto r = t.render(std::string(event), lang, vars);
      ASSERT_TRUE(r) << event << " " << lang << ": " << r.error().what();
      EXPECT_EQ(r->language, std::string(lang).substr(0, 2));
      EXPECT_NE(r->title.find("FB-2026-000042"), std::string::npos) << event;
      EXPECT_EQ(r->text.find('{'), std::string::npos) << event << ": " << r->text;
    }
  }
  auto w = t.render("workaround", "en", vars);
  EXPECT_NE(w->text.find("ANSWER"), std::string::npos);
  EXPECT_NE(w->text.find("WORKAROUND"), std::string::npos);
  auto m = t.render("merged", "zh", vars);
  EXPECT_NE(m->text.find("FB-2026-000042"), std::string::npos);
  auto a = t.render("appointment_proposed", "en", vars);
  EXPECT_NE(a->text.find("3 Dec 09:30 at Dealer Nord"), std::string::npos) << a->text;
}

TEST(Templates, AMissingValueIsAnErrorNotABlank) {
  auto t = load();
  auto r = t.render("received", "en", {{"case_number", "FB-1"}, {"team", "after-sales"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail, "template 'received' (en): no value for {hours}");
  r = t.render("workaround", "zh", {{"case_number", "FB-1"}, {"answer", "A"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail, "template 'workaround' (zh): no value for {workaround}");
  // An empty value is given, not missing: an automatic progress update has no note.
  r = t.render("progress", "en",
               {{"case_number", "FB-1"}, {"team", "after-sales"}, {"status", "in_progress"}, {"note", ""}});
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->text.find('{'), std::string::npos);
  EXPECT_FALSE(t.render("reminder", "en", {}));
}

TEST(Templates, ValuesAreInsertedOnceNotExpandedAgain) {
  auto t = load();
  auto r = t.render("received", "en", {{"case_number", "FB-1"}, {"team", "{hours}"}, {"hours", "4"}});
  ASSERT_TRUE(r);
  EXPECT_NE(r->text.find("passed it to {hours}."), std::string::npos) << r->text;
}

TEST(Templates, LoadErrorsNameTheEvent) {
  EXPECT_EQ(load_error([](auto&) {}), "loaded");
  EXPECT_EQ(load_error([](auto& d) { d["progress"]["en"]["text"] = "Now {status}, done by {eta}"; }),
            "templates.json: event 'progress': en.text: unknown placeholder '{eta}' ({case_number}, {team}, "
            "{hours}, {status}, {note})");
  // A placeholder of another event is unknown here: "resolved" has no {answer}.
  EXPECT_EQ(load_error([](auto& d) { d["resolved"]["zh"]["title"] = "已解决 {answer}"; }),
            "templates.json: event 'resolved': zh.title: unknown placeholder '{answer}' ({case_number}, {team}, "
            "{hours}, {note})");
  EXPECT_EQ(load_error([](auto& d) { d["routed"].erase("zh"); }), "templates.json: event 'routed': no text in 'zh'");
  EXPECT_EQ(load_error([](auto& d) { d.erase("survey_request"); }), "templates.json: event 'survey_request' missing");
  EXPECT_EQ(load_error([](auto& d) { d["recieved"] = d["received"]; }),
            "templates.json: event 'recieved': unknown event (received, merged, routed, workaround, "
            "appointment_proposed, progress, resolved, survey_request, message, visit_proposed, visit_booked, "
            "visit_reminder, visit_reschedule_requested, visit_declined, visit_cancelled, visit_checked_in, "
            "visit_inspection, visit_diagnosis, visit_repair, visit_quality_check, visit_quality_failed, "
            "visit_handover, visit_approval, follow_up, callback_picked, callback_logged, callback_cancelled)");
  EXPECT_EQ(load_error([](auto& d) { d["merged"]["en"]["text"] = "Joined {case_number"; }),
            "templates.json: event 'merged': en.text: a '{' without '}'");
  EXPECT_EQ(load_error([](auto& d) { d["merged"]["en"]["text"] = "Joined {Case Number}"; }),
            "templates.json: event 'merged': en.text: '{Case Number}' is not a placeholder name");
  EXPECT_EQ(load_error([](auto& d) { d["default_language"] = "de"; }),
            "templates.json: default_language 'de': must be zh or en");
}

}  // namespace
}  // namespace fb::backend
