#include "fb/api/auth.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "fb/common/codec.hpp"
#include "fb/common/utf8.hpp"

namespace fb::api {

namespace {

std::string token_hash(std::string_view token) { return codec::to_hex(codec::sha256(token)); }

bool is_hex64(std::string_view s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

Result<TokenStore> TokenStore::load_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ConfigErrc::file_not_found, path.string() + ": cannot read the API token file");
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path.string());
}

Result<TokenStore> TokenStore::parse(std::string_view text, const std::string& origin) {
  TokenStore store;
  int line_no = 0;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    std::istringstream fields(line);
    std::string hash, role, team, name;
    fields >> hash >> role >> team;
    std::getline(fields >> std::ws, name);
    const auto where = origin + ":" + std::to_string(line_no) + ": ";
    if (!is_hex64(hash))
      return fail(ConfigErrc::invalid_value, where + "the first field is not a SHA-256 in lowercase hex");
    auto r = fb::parse<Role>(role);
    if (!r)
      return fail(ConfigErrc::invalid_value,
                  where + "unknown role '" + role + "' (agent, team_lead, admin, auditor, dealer)");
    if (name.empty()) return fail(ConfigErrc::invalid_value, where + "missing the person's name (the 4th field)");
    const bool team_role = *r == Role::agent || *r == Role::team_lead || *r == Role::dealer;
    if (team_role == (team == "-" || team.empty())) {
      return fail(ConfigErrc::invalid_value,
                  where + (team_role ? "an agent or team lead needs a team, a dealer its dealer code"
                                     : "admin and auditor take '-' as team"));
    }
    if (!store.by_hash_.emplace(hash, Principal{name, *r, team_role ? team : ""}).second) {
      return fail(ConfigErrc::invalid_value, where + "the same token twice");
    }
  }
  return store;
}

std::optional<Principal> TokenStore::authenticate(std::string_view token) const {
  if (token.empty()) return std::nullopt;
  auto it = by_hash_.find(token_hash(token));
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

LiveTokens::LiveTokens(TokenStore tokens, std::filesystem::path file)
    : tokens_(std::move(tokens)),
      file_(std::move(file)) {
  // The caller read the file before this stat: an edit in between must not go unseen, so the
  // first request reads it again (its identity cannot match this one).
  if (!file_.empty()) loaded_ = identity();
  if (loaded_) loaded_->modified_ns = -1;
}

std::optional<LiveTokens::FileIdentity> LiveTokens::identity() const {
  struct stat st {};
  if (::stat(file_.c_str(), &st) != 0) return std::nullopt;
  return FileIdentity{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                      static_cast<std::uint64_t>(st.st_size),
                      std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::optional<Principal> LiveTokens::authenticate(std::string_view token) {
  std::lock_guard lock(mu_);
  if (!file_.empty()) {
    const auto now = identity();
    // A file modified within the last two seconds may be written again within the same mtime
    // tick at the same size (one hash swapped for another): read it again until it has settled.
    const auto wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    const bool settling = now && wall_ns - now->modified_ns < 2'000'000'000;
    if (now != loaded_ || settling) {
      const bool changed = now != loaded_;
      loaded_ = now;
      auto reloaded = now ? TokenStore::load_file(file_)
                          : Result<TokenStore>(fail(ConfigErrc::file_not_found, file_.string() + ": gone"));
      if (reloaded) {
        if (changed) spdlog::info("api: token file {} changed: {} token(s)", file_.string(), reloaded->size());
        tokens_ = std::move(*reloaded);
      } else {
        if (changed) {
          spdlog::error("api: token file changed and cannot be used ({}): every API call is refused until it is fixed",
                        reloaded.error().what());
        }
        tokens_ = TokenStore{};
      }
    }
  }
  return tokens_.authenticate(token);
}

std::string TokenStore::new_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for a token");
  return codec::to_hex(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::string TokenStore::line_for(std::string_view token, const Principal& who) {
  return token_hash(token) + " " + std::string(to_string(who.role)) + " " + (who.team.empty() ? "-" : who.team) + " " +
         who.name;
}

std::vector<std::string> visible_teams(const Principal& p) {
  if (p.role == Role::admin || p.role == Role::auditor) return {};
  return {p.team};
}

bool may_see(const Principal& p, const backend::CaseSummary& c) {
  if (p.role == Role::admin || p.role == Role::auditor) return true;
  if (p.role == Role::dealer) return false;
  return c.team == p.team || std::find(c.collaborators.begin(), c.collaborators.end(), p.team) != c.collaborators.end();
}

bool may_write(const Principal& p) { return p.role != Role::auditor; }
bool may_reorganize(const Principal& p) { return p.role == Role::team_lead || p.role == Role::admin; }
bool may_edit_knowledge(const Principal& p) { return p.role == Role::team_lead || p.role == Role::admin; }
bool may_edit_routing(const Principal& p) { return p.role == Role::admin; }
bool may_handle_privacy(const Principal& p) { return p.role == Role::admin; }
bool sees_contact(const Principal& p) { return p.role != Role::auditor && p.role != Role::dealer; }

LocationView location_view(const Principal& p) {
  switch (p.role) {
    case Role::team_lead:
    case Role::admin: return LocationView::precise;
    case Role::agent: return LocationView::coarse;
    case Role::auditor:
    case Role::dealer: return LocationView::hidden;
  }
  return LocationView::hidden;
}

std::string mask_name(std::string_view name) {
  if (name.empty()) return {};
  // The first character (one code point, so a Chinese surname stays whole) and a star for each other.
  std::size_t first_len = 1;
  for (std::size_t n = 1; n <= std::min<std::size_t>(4, name.size()); ++n) {
    if (is_valid_utf8(name.substr(0, n)) && utf8_length(name.substr(0, n)) == 1) {
      first_len = n;
      break;
    }
  }
  const auto rest = utf8_length(name) - 1;
  return std::string(name.substr(0, first_len)) + std::string(rest, '*');
}

std::string mask_phone(std::string_view phone) {
  if (phone.size() <= 4) return std::string(phone.size(), '*');
  return std::string(phone.size() - 4, '*') + std::string(phone.substr(phone.size() - 4));
}

}  // namespace fb::api
