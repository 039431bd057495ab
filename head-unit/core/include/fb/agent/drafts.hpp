// A report the driver started and has not sent yet: a quick-feedback tile chosen, maybe some
// text, the consent shown on the review. Kept durably in the CarStore (table `drafts`, schema
// v8) so that a power cut or a killed app while the driver was typing loses nothing: the app
// saves it as it changes, shows it again after a restart, and deletes it once it is sent or
// discarded (CarStore::save_draft, delete_draft, drafts; AgentApi the same names).
//
// The moment of the tile tap is not kept: it is on the agent's steady clock, which starts
// again with the process, and the snapshot ring does not outlive it either; a draft resumed
// later goes without a snapshot of that moment.
//
// Pure data; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "feedback.pb.h"

namespace fb::agent {

/// The longest draft text kept (as the app's input limit), in characters.
inline constexpr std::size_t kMaxDraftChars = 2000;
/// How many drafts the store keeps at most; saving one more fails with AgentErrc::queue_full.
inline constexpr std::size_t kMaxDrafts = 50;

struct SavedDraft {
  std::string draft_id;  // made by the app (a UUID); saving it again replaces it
  std::string kind;      // the quick-feedback tile's key, e.g. "noise"
  std::string text;      // UTF-8, at most kMaxDraftChars
  wire::Consent consent;
  std::string phone;          // the callback number typed ("": none); valid as for a callback
  std::int64_t saved_ms = 0;  // car wall clock of the last save
};

}  // namespace fb::agent
