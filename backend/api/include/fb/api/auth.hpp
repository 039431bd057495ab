// Who calls the API: bearer tokens, stored as SHA-256 hashes in a file, each with a role, a team
// and a person's name. What each role may do is decided here (see docs/api.md, "Access").
// TokenStore is immutable after load; LiveTokens follows the file. Both thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "fb/backend/case_store.hpp"
#include "fb/common/error.hpp"
#include "fb/common/vocabulary.hpp"

namespace fb::api {

enum class Role {
  agent,      // works the cases of one team (and those it collaborates on)
  team_lead,  // an agent who also triages, merges, splits, links and edits the knowledge base
  admin,      // every team, the routing rules, privacy requests
  auditor,    // reads everything, changes nothing, sees personal data masked
  dealer,     // a dealer (4S store): its own service visits and nothing else; `team` is its dealer code
};

struct Principal {
  std::string name;  // the actor in the audit trail
  Role role = Role::agent;
  std::string team;  // for agent and team_lead; the dealer code for a dealer
};

class TokenStore {
 public:
  TokenStore() = default;
  /// Lines "<sha256 hex of the token> <role> <team or -> <name>", '#' comments and blank lines
  /// ignored. Errors: ConfigErrc (file_not_found, invalid_value with "file:line: problem").
  static Result<TokenStore> load_file(const std::filesystem::path& path);
  static Result<TokenStore> parse(std::string_view text, const std::string& origin);

  /// The principal of `token`, or nullopt for a token we do not know.
  std::optional<Principal> authenticate(std::string_view token) const;
  std::size_t size() const { return by_hash_.size(); }

  /// A fresh random token (256 bits, hex) and the line that grants it to `who`.
  static std::string new_token();
  static std::string line_for(std::string_view token, const Principal& who);

 private:
  std::unordered_map<std::string, Principal> by_hash_;
};

/// The tokens of a file as the file is now. Before each authentication it looks at the file (one
/// stat: inode, size, modification time) and loads it again when it changed, or was modified in
/// the last two seconds (a same-size rewrite within one mtime tick), so a line removed from the
/// file revokes its token at the next request, without a restart. The first request reads it
/// again (an edit between the caller's read and the constructor's stat). A file that is gone
/// or does not parse refuses every token until it is fixed (fails closed; logged once per
/// change). Without a file: the tokens given, for ever. Thread-safe: a mutex guards the tokens
/// and the file's last identity (any thread, e.g. the HTTP connections' strands).
class LiveTokens {
 public:
  explicit LiveTokens(TokenStore tokens, std::filesystem::path file = {});
  std::optional<Principal> authenticate(std::string_view token);

 private:
  struct FileIdentity {
    std::uint64_t device = 0, inode = 0, size = 0;
    std::int64_t modified_ns = 0;
    bool operator==(const FileIdentity&) const = default;
  };
  std::optional<FileIdentity> identity() const;  // nullopt: no such file

  std::mutex mu_;
  TokenStore tokens_;
  const std::filesystem::path file_;
  std::optional<FileIdentity> loaded_;  // the file as last looked at
};

/// The teams a principal works for; empty = every team (admin, auditor).
std::vector<std::string> visible_teams(const Principal& p);
/// A case is visible to its team, its collaborating teams, admins and auditors.
bool may_see(const Principal& p, const backend::CaseSummary& c);
bool may_write(const Principal& p);           // everyone but the auditor
bool may_reorganize(const Principal& p);      // merge, split, link, triage: team_lead, admin
bool may_edit_knowledge(const Principal& p);  // team_lead, admin
bool may_edit_routing(const Principal& p);    // admin
bool may_handle_privacy(const Principal& p);  // admin
/// Name and phone of a contact: everyone who works cases; masked for the auditor.
bool sees_contact(const Principal& p);
/// Precise location (as sent, already coarsened by the car): team_lead and admin; an agent sees
/// it rounded to about 10 km; the auditor not at all.
enum class LocationView { precise, coarse, hidden };
LocationView location_view(const Principal& p);

/// "张三" -> "张*", "Alice Smith" -> "A**********"; "13800138000" -> "*******8000".
std::string mask_name(std::string_view name);
std::string mask_phone(std::string_view phone);

}  // namespace fb::api

template <>
struct fb::Vocabulary<fb::api::Role> {
  static constexpr std::string_view name = "role";
  static constexpr std::string_view fallback = "auditor";
  static constexpr std::array<VocabularyEntry<api::Role>, 5> entries{{
      {api::Role::agent, "agent"},
      {api::Role::team_lead, "team_lead"},
      {api::Role::admin, "admin"},
      {api::Role::auditor, "auditor"},
      {api::Role::dealer, "dealer"},
  }};
};
