// Personal data sealed inside SQLite statements (docs/privacy.md): SQL functions that seal a
// value on its way into a row and open it on its way out, with the KeyRing of fb/common/crypto.hpp.
// Doing it in SQL keeps each store's statements as they are, with one function call around a
// personal column, and the column types unchanged:
//
//   fb_seal(value, place)   TEXT -> "enc:v1:" + base64(sealed); BLOB -> the sealed bytes (magic
//                           "fbE1"); '' / X'' / NULL stay as they are (an erased value is empty).
//                           `place` is the associated data: "table.column:" and the row's stable id,
//                           so that a sealed value copied into another row or column does not open.
//   fb_open(value, place)   the inverse; a value that is not sealed (written before sealing was
//                           configured) comes back as it is.
//   fb_try_open(value, place)  the same, but NULL where fb_open fails (damaged rows in a recovery).
//   fb_lookup(value)        a keyed digest (KeyRing::lookup_tag) for equality lookups on a sealed
//                           column, '' for ''.
//   fb_key_id(value)        the key id a sealed value names, NULL for anything else.
//   fb_current_key()        the id of the key that seals now.
//
// With a key ring fb_seal seals every non-empty value, even one that looks sealed (a driver's
// words can look like anything). Without one (`keys` null) fb_seal and fb_lookup return their
// value unchanged, except a text beginning "enc:", kept as "enc:raw:" + text so that it is never
// read as a sealed value; fb_open gives such a text back as it was, refuses a sealed value
// ("sealed value but no key ring configured"); fb_key_id and fb_current_key return NULL: a store
// without keys behaves as before.
//
// Threads: the functions run on the thread of the statement; the KeyRing is immutable and shared.
// Errors: a failure inside a function fails the statement with the CryptoErrc text (unknown key,
// authentication failed) in SQLite's message.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "fb/common/crypto.hpp"
#include "fb/common/error.hpp"
#include "fb/common/sqlite.hpp"

namespace fb::sql {

inline constexpr std::string_view kSealedTextPrefix = "enc:v1:";

/// Registers the functions above on `db`. Call before preparing statements that use them.
/// Errors: StorageErrc (SQLite refused the registration).
Result<void> register_sealing(Database& db, const std::shared_ptr<const crypto::KeyRing>& keys);

/// Whether a stored value is sealed (either encoding), here or by the PostgreSQL case store's
/// functions on its server (magic "fbP1", text "enc:p1:" + base64; backend postgres_case_store.cpp).
bool is_sealed_value(std::string_view stored);

}  // namespace fb::sql
