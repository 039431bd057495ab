#include "fb/common/sealed_sql.hpp"

#include <openssl/evp.h>
#include <sqlite3.h>

#include <optional>

namespace fb::sql {

namespace {

using crypto::KeyRing;

const KeyRing* ring_of(sqlite3_context* ctx) {
  return static_cast<const std::shared_ptr<const KeyRing>*>(sqlite3_user_data(ctx))->get();
}

std::string_view arg_bytes(sqlite3_value* v) {
  const auto* p = static_cast<const char*>(sqlite3_value_blob(v));
  return {p == nullptr ? "" : p, static_cast<std::size_t>(sqlite3_value_bytes(v))};
}

std::string_view arg_text(sqlite3_value* v) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return {p == nullptr ? "" : p, static_cast<std::size_t>(sqlite3_value_bytes(v))};
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> unbase64(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out(3 * in.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = 0;
  if (in.ends_with("==")) pad = 2;
  else if (in.ends_with("=")) pad = 1;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

void result_error(sqlite3_context* ctx, const Error& e) {
  const auto text = e.what();
  sqlite3_result_error(ctx, text.c_str(), static_cast<int>(text.size()));
}

/// The raw sealed bytes of a stored value, if it is sealed in either encoding.
std::optional<std::string> sealed_bytes(sqlite3_value* v) {
  if (sqlite3_value_type(v) == SQLITE_BLOB) {
    auto b = arg_bytes(v);
    if (KeyRing::is_sealed(b)) return std::string(b);
    return std::nullopt;
  }
  if (sqlite3_value_type(v) != SQLITE_TEXT) return std::nullopt;
  auto t = arg_text(v);
  if (!t.starts_with(kSealedTextPrefix)) return std::nullopt;
  auto raw = unbase64(t.substr(kSealedTextPrefix.size()));
  if (!raw || !KeyRing::is_sealed(*raw)) return std::nullopt;
  return raw;
}

/// Without keys, a text that begins like a sealed one ("enc:", typed by a driver, say) is stored
/// behind this prefix, so that reading it never mistakes it for a sealed value it cannot open.
constexpr std::string_view kEscapedTextPrefix = "enc:raw:";

void fn_seal(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* ring = ring_of(ctx);
  const int type = sqlite3_value_type(argv[0]);
  const bool blob = type == SQLITE_BLOB;
  const auto plain = blob ? arg_bytes(argv[0]) : arg_text(argv[0]);
  if (type == SQLITE_NULL || plain.empty()) {
    sqlite3_result_value(ctx, argv[0]);  // nothing to hide
    return;
  }
  if (ring == nullptr) {
    if (!blob && plain.starts_with("enc:")) {
      const auto text = std::string(kEscapedTextPrefix) + std::string(plain);
      sqlite3_result_text64(ctx, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else {
      sqlite3_result_value(ctx, argv[0]);  // no keys: stored as given (a blob of ours is an Envelope, never "fbE1")
    }
    return;
  }
  // With keys every value is sealed, even one that looks sealed: a driver's words can look like anything.
  auto sealed = ring->seal(plain, arg_text(argv[1]));
  if (!sealed) return result_error(ctx, sealed.error());
  if (blob) {
    sqlite3_result_blob64(ctx, sealed->data(), sealed->size(), SQLITE_TRANSIENT);
  } else {
    const auto text = std::string(kSealedTextPrefix) + base64(*sealed);
    sqlite3_result_text64(ctx, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
}

void open_value(sqlite3_context* ctx, sqlite3_value** argv, bool null_on_failure) {
  if (sqlite3_value_type(argv[0]) == SQLITE_TEXT) {
    if (const auto t = arg_text(argv[0]); t.starts_with(kEscapedTextPrefix)) {
      const auto plain = t.substr(kEscapedTextPrefix.size());
      sqlite3_result_text64(ctx, plain.data(), plain.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      return;
    }
  }
  auto raw = sealed_bytes(argv[0]);
  if (!raw) {
    // Text behind the sealed prefix that does not decode was sealed and damaged since: a plain
    // text is never stored so (without keys, fb_seal escapes "enc:" as "enc:raw:").
    if (sqlite3_value_type(argv[0]) == SQLITE_TEXT && arg_text(argv[0]).starts_with(kSealedTextPrefix)) {
      if (null_on_failure) return sqlite3_result_null(ctx);
      sqlite3_result_error(ctx, "damaged sealed value: not base64 of a sealed value", -1);
      return;
    }
    sqlite3_result_value(ctx, argv[0]);
    return;
  }
  const auto* ring = ring_of(ctx);
  if (ring == nullptr) {
    if (null_on_failure) return sqlite3_result_null(ctx);
    sqlite3_result_error(ctx, "sealed value but no key ring configured (give the store's key file)", -1);
    return;
  }
  auto plain = ring->open(*raw, arg_text(argv[1]));
  if (!plain && null_on_failure) return sqlite3_result_null(ctx);
  if (!plain) return result_error(ctx, plain.error());
  if (sqlite3_value_type(argv[0]) == SQLITE_BLOB) {
    sqlite3_result_blob64(ctx, plain->data(), plain->size(), SQLITE_TRANSIENT);
  } else {
    sqlite3_result_text64(ctx, plain->data(), plain->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
}

void fn_open(sqlite3_context* ctx, int, sqlite3_value** argv) { open_value(ctx, argv, false); }
void fn_try_open(sqlite3_context* ctx, int, sqlite3_value** argv) { open_value(ctx, argv, true); }

void fn_lookup(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* ring = ring_of(ctx);
  const auto value = arg_text(argv[0]);
  if (ring == nullptr || sqlite3_value_type(argv[0]) == SQLITE_NULL || value.empty()) {
    sqlite3_result_value(ctx, argv[0]);
    return;
  }
  auto tag = ring->lookup_tag(value);
  if (!tag) return result_error(ctx, tag.error());
  sqlite3_result_text64(ctx, tag->data(), tag->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void fn_key_id(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto raw = sealed_bytes(argv[0]);
  auto id = raw ? KeyRing::key_id_of(*raw) : std::nullopt;
  if (id) sqlite3_result_int64(ctx, *id);
  else sqlite3_result_null(ctx);
}

void fn_current_key(sqlite3_context* ctx, int, sqlite3_value**) {
  const auto* ring = ring_of(ctx);
  if (ring != nullptr) sqlite3_result_int64(ctx, ring->current_id());
  else sqlite3_result_null(ctx);
}

void destroy_keys(void* p) { delete static_cast<std::shared_ptr<const KeyRing>*>(p); }

}  // namespace

bool is_sealed_value(std::string_view stored) {
  // The server's: magic, key id, IV, at least one cipher block, the 32-byte tag.
  constexpr std::string_view kServerMagic = "fbP1", kServerTextPrefix = "enc:p1:";
  constexpr std::size_t kServerMinBytes = 4 + 4 + 16 + 16 + 32;
  const auto server_sealed = [&](std::string_view v) {
    return v.starts_with(kServerMagic) && v.size() >= kServerMinBytes && (v.size() - 8 - 32) % 16 == 0;
  };
  if (KeyRing::is_sealed(stored) || server_sealed(stored)) return true;
  const bool here = stored.starts_with(kSealedTextPrefix);
  if (!here && !stored.starts_with(kServerTextPrefix)) return false;
  auto raw = unbase64(stored.substr(here ? kSealedTextPrefix.size() : kServerTextPrefix.size()));
  return raw && (here ? KeyRing::is_sealed(*raw) : server_sealed(*raw));
}

Result<void> register_sealing(Database& db, const std::shared_ptr<const crypto::KeyRing>& keys) {
  struct Fn {
    const char* name;
    int args;
    void (*fn)(sqlite3_context*, int, sqlite3_value**);
    int flags;
  };
  // fb_seal draws a random nonce: not deterministic. The others are.
  const Fn fns[] = {
      {"fb_seal", 2, fn_seal, 0},
      {"fb_open", 2, fn_open, SQLITE_DETERMINISTIC},
      {"fb_try_open", 2, fn_try_open, SQLITE_DETERMINISTIC},
      {"fb_lookup", 1, fn_lookup, SQLITE_DETERMINISTIC},
      {"fb_key_id", 1, fn_key_id, SQLITE_DETERMINISTIC},
      {"fb_current_key", 0, fn_current_key, 0},
  };
  for (const auto& f : fns) {
    // Each function owns a copy of the shared pointer, released by SQLite with the function.
    auto* owned = new std::shared_ptr<const crypto::KeyRing>(keys);
    const int rc = sqlite3_create_function_v2(db.handle(), f.name, f.args, SQLITE_UTF8 | f.flags, owned, f.fn, nullptr,
                                              nullptr, destroy_keys);
    if (rc != SQLITE_OK) return fail(db.error(rc, std::string("register ") + f.name));
  }
  return {};
}

}  // namespace fb::sql
