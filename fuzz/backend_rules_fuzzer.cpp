// Fuzz target: the backend's rule and config files, which the service teams edit (routing.conf
// through the API too). The first byte picks the loader, the rest is the file's text. Every
// loader must answer bad text with a ConfigErrc naming the file and place, never crash or hang.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "fb/backend/config.hpp"
#include "fb/backend/knowledge_base.hpp"
#include "fb/backend/routing.hpp"
#include "fb/backend/templates.hpp"
#include "fb/backend/triage.hpp"
#include "fb/backend/triage_model.hpp"
#include "fb/common/config.hpp"
#include "fuzz_support.hpp"

namespace {

// load_config() reads a file (its relative paths are relative to it): one private file per process.
const std::filesystem::path& config_file() {
  static const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                            ("fb-fuzz-backend-" + std::to_string(::getpid()) + ".json");
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto text = fb::fuzz::as_text(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0: (void)fb::backend::Router::load(text, "routing.conf"); break;
    case 1: (void)fb::backend::LinearModel::parse(text, "classifier-model.txt"); break;
    case 2:
    case 3:
    case 4: {
      auto doc = fb::config::parse_json(text, "rules.json");
      if (!doc) break;
      if (data[0] % 6 == 2) {
        // "model" names a file beside the rules: keep the target off the disk.
        if (doc->is_object()) doc->erase("model");
        (void)fb::backend::Classifier::load(*doc, "classifier.json");
      } else if (data[0] % 6 == 3) {
        (void)fb::backend::Templates::load(*doc, "templates.json");
      } else {
        (void)fb::backend::KnowledgeBase::load(*doc, "knowledge.json");
      }
      break;
    }
    default: {
      {
        std::ofstream out(config_file(), std::ios::binary | std::ios::trunc);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
      }
      (void)fb::backend::load_config(config_file(), fb::backend::default_config());
    }
  }
  return 0;
}
