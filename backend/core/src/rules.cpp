#include "fb/backend/rules.hpp"

#include "fb/common/config.hpp"

namespace fb::backend {

Result<Rules> load_rules(const std::filesystem::path& dir) {
  auto c = config::load_json(dir / "classifier.json");
  if (!c) return fail(c.error());
  auto classifier = Classifier::load(*c, (dir / "classifier.json").string());
  if (!classifier) return fail(classifier.error());
  auto router = Router::load_file(dir / "routing.conf");
  if (!router) return fail(router.error());
  auto t = config::load_json(dir / "templates.json");
  if (!t) return fail(t.error());
  auto templates = Templates::load(*t, (dir / "templates.json").string());
  if (!templates) return fail(templates.error());
  auto knowledge = KnowledgeBase::load_file(dir / "knowledge.json");
  if (!knowledge) return fail(knowledge.error());
  return Rules{std::move(*classifier), std::move(*router), std::move(*templates), std::move(*knowledge)};
}

}  // namespace fb::backend
