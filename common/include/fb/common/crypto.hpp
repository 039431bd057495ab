// Personal data at rest (docs/privacy.md): AES-256-GCM through OpenSSL's EVP interface, with the
// keys outside the database.
//
// A KeyRing holds every key that may still open data (old ones stay after a rotation) and names
// the current one, which seals. A sealed value is self-describing: a 4-byte magic "fbE1", the
// key id (4 bytes, big endian), a random 12-byte nonce, the ciphertext and the 16-byte tag. The
// caller's associated data (e.g. the row's id and column) binds a value to its place, so a
// sealed phone number copied into another row does not open there.
//
// Keys come from a KeySource: a key file today (load_key_file: mode 0600 or stricter, refused
// otherwise), a hardware keystore later behind the same interface.
//
// Threads: a KeyRing is immutable after it is made; seal() and open() may run on any thread.
// Errors: CryptoErrc (below); no exception leaves these functions.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "fb/common/error.hpp"

namespace fb {

enum class CryptoErrc {
  key_file_missing = 1,   // no key file at the path
  key_file_insecure = 2,  // readable or writable by group or others
  key_file_invalid = 3,   // a line that is not a key, or no current key ("file:line: why")
  unknown_key = 4,        // sealed with a key this ring does not hold (rotated out, other car)
  not_sealed = 5,         // the value lacks the magic: plain text where a sealed value belongs
  auth_failed = 6,        // tag mismatch: tampered, truncated, wrong key or wrong associated data
  backend_failed = 7,     // OpenSSL or the random source failed (detail has OpenSSL's reason)
};

const std::error_category& crypto_category() noexcept;
std::error_code make_error_code(CryptoErrc e) noexcept;

}  // namespace fb

template <>
struct std::is_error_code_enum<fb::CryptoErrc> : std::true_type {};

namespace fb::crypto {

inline constexpr std::size_t kKeyBytes = 32;
inline constexpr std::size_t kNonceBytes = 12;
inline constexpr std::size_t kTagBytes = 16;
/// Bytes a sealed value adds to its plain text: magic, key id, nonce and tag.
inline constexpr std::size_t kOverheadBytes = 4 + 4 + kNonceBytes + kTagBytes;

using KeyBytes = std::array<unsigned char, kKeyBytes>;

class KeyRing {
 public:
  /// A ring with `keys` (id -> key) whose `current` one seals. Errors: key_file_invalid when
  /// `current` is not among the keys.
  static Result<KeyRing> make(std::map<std::uint32_t, KeyBytes> keys, std::uint32_t current);

  /// Seals `plain` with the current key. Errors: backend_failed.
  Result<std::string> seal(std::string_view plain, std::string_view associated) const;
  /// Opens what seal() made with any key of the ring and the same associated data. Errors:
  /// not_sealed, unknown_key (the id in the detail), auth_failed, backend_failed.
  Result<std::string> open(std::string_view sealed, std::string_view associated) const;

  /// Whether `value` starts like a sealed value (the magic); says nothing of its integrity.
  static bool is_sealed(std::string_view value);
  /// The key id a sealed value names, if it is one.
  static std::optional<std::uint32_t> key_id_of(std::string_view sealed);

  /// A keyed digest of `value` for looking up a sealed column by equality (e.g. a phone number):
  /// HMAC-SHA256, as 64 hex digits, under a lookup key derived from the ring's lowest-id key, so
  /// that it stays the same across rotations (a rotation adds keys and keeps the old ones).
  /// Retiring that key changes every tag: recompute the lookup columns then. Errors: backend_failed.
  Result<std::string> lookup_tag(std::string_view value) const;

  /// A key derived from key `id` for another purpose (HMAC-SHA256 of `label` under it), so that a
  /// database server sealing on its own side (the PostgreSQL store) never holds the ring's keys.
  /// Errors: unknown_key, backend_failed.
  Result<KeyBytes> derived_key(std::uint32_t id, std::string_view label) const;
  /// The key lookup_tag() digests under.
  Result<KeyBytes> lookup_key() const { return derived_key(keys_.begin()->first, kLookupLabel); }
  /// The ids of the ring's keys, ascending.
  std::vector<std::uint32_t> ids() const;
  std::uint32_t current_id() const { return current_; }
  std::size_t size() const { return keys_.size(); }

 private:
  KeyRing(std::map<std::uint32_t, KeyBytes> keys, std::uint32_t current) : keys_(std::move(keys)), current_(current) {}
  static constexpr std::string_view kLookupLabel = "fb lookup v1";
  std::map<std::uint32_t, KeyBytes> keys_;
  std::uint32_t current_ = 0;
};

/// Where a KeyRing comes from: a key file now, a hardware keystore (TPM, TEE) later.
class KeySource {
 public:
  virtual ~KeySource() = default;
  virtual Result<KeyRing> load() const = 0;
};

/// Key file format, one item per line ('#' comments and blank lines ignored):
///   key <id> <64 hex digits>     a key (id: decimal, 1 .. 2^32-1)
///   current <id>                 the key that seals
/// Errors: key_file_missing; key_file_insecure when the mode allows group or other any access;
/// key_file_invalid "file:line: why".
Result<KeyRing> load_key_file(const std::filesystem::path& path);

/// Parses a key file's text; `origin` names it in errors.
Result<KeyRing> parse_key_file(std::string_view text, const std::string& origin);

/// Makes a key file with one fresh random key when none exists (mode 0600, written atomically);
/// leaves an existing one alone. Errors: backend_failed, StorageErrc::io.
Result<void> ensure_key_file(const std::filesystem::path& path);

/// Rotation: adds a fresh key and makes it current; the old keys stay so that what they sealed
/// still opens until it is sealed again. Returns the new key's id. Errors: those of
/// load_key_file, backend_failed, StorageErrc::io.
Result<std::uint32_t> rotate_key_file(const std::filesystem::path& path);

class KeyFileSource final : public KeySource {
 public:
  explicit KeyFileSource(std::filesystem::path path) : path_(std::move(path)) {}
  Result<KeyRing> load() const override { return load_key_file(path_); }

 private:
  std::filesystem::path path_;
};

}  // namespace fb::crypto
