// The rule files a backend runs on (configuration as data): classifier.json, routing.conf,
// templates.json and knowledge.json from one directory, each checked with errors that name file, line and key.
#pragma once

#include <filesystem>

#include "fb/backend/knowledge_base.hpp"
#include "fb/backend/routing.hpp"
#include "fb/backend/templates.hpp"
#include "fb/backend/triage.hpp"
#include "fb/common/error.hpp"

namespace fb::backend {

struct Rules {
  Classifier classifier;
  Router router;
  Templates templates;
  KnowledgeBase knowledge;
};

/// Loads the rule files from `dir` (classifier.json with its model, routing.conf,
/// templates.json, knowledge.json). Errors: ConfigErrc (file_not_found, parse_error,
/// invalid_value) with the file and key in the detail.
Result<Rules> load_rules(const std::filesystem::path& dir);

}  // namespace fb::backend
