// The rule files a backend runs on (configuration as data): classifier.json, routing.conf and
// templates.json from one directory, each checked with errors that name file, line and key.
#pragma once

#include <filesystem>

#include "fb/backend/routing.hpp"
#include "fb/backend/templates.hpp"
#include "fb/backend/triage.hpp"
#include "fb/common/error.hpp"

namespace fb::backend {

struct Rules {
  Classifier classifier;
  Router router;
  Templates templates;
};

/// Loads the three rule files from `dir`. Errors: ConfigErrc (file_not_found, parse_error,
/// invalid_value) with the file and key in the detail.
Result<Rules> load_rules(const std::filesystem::path& dir);

}  // namespace fb::backend
