#include "fb/common/crypto.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <charconv>
#include <memory>
#include <sstream>

#include "fb/common/codec.hpp"
#include "fb/common/private_file.hpp"

namespace fb {

namespace {

class CryptoCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "crypto"; }
  std::string message(int v) const override {
    switch (static_cast<CryptoErrc>(v)) {
      case CryptoErrc::key_file_missing: return "key file missing";
      case CryptoErrc::key_file_insecure: return "key file readable by others";
      case CryptoErrc::key_file_invalid: return "key file invalid";
      case CryptoErrc::unknown_key: return "sealed with an unknown key";
      case CryptoErrc::not_sealed: return "value is not sealed";
      case CryptoErrc::auth_failed: return "sealed value failed authentication";
      case CryptoErrc::backend_failed: return "cryptographic library failed";
    }
    return "unknown crypto error";
  }
};

}  // namespace

const std::error_category& crypto_category() noexcept {
  static const CryptoCategory category;
  return category;
}

std::error_code make_error_code(CryptoErrc e) noexcept { return {static_cast<int>(e), crypto_category()}; }

namespace crypto {

namespace {

constexpr std::string_view kMagic = "fbE1";
constexpr std::size_t kHeaderBytes = 4 + 4 + kNonceBytes;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

std::unexpected<Error> openssl_failure(std::string_view what) {
  const unsigned long e = ERR_get_error();
  char reason[256] = "no reason given";
  if (e != 0) ERR_error_string_n(e, reason, sizeof reason);
  ERR_clear_error();
  return fail(CryptoErrc::backend_failed, std::string(what) + ": " + reason);
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::uint32_t get_u32(std::string_view in) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[static_cast<std::size_t>(i)]);
  return v;
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

Result<KeyBytes> random_key() {
  KeyBytes key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) return openssl_failure("RAND_bytes");
  return key;
}

std::string to_hex(const KeyBytes& key) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : key) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string key_file_text(const std::map<std::uint32_t, KeyBytes>& keys, std::uint32_t current) {
  std::string text =
      "# fb personal-data keys (docs/privacy.md). Keep this file 0600 and out of backups of the database.\n";
  for (const auto& [id, key] : keys) text += "key " + std::to_string(id) + " " + to_hex(key) + "\n";
  text += "current " + std::to_string(current) + "\n";
  return text;
}

/// The keys of a valid file (parse_key_file's work, kept for rotation which must write them back).
Result<std::pair<std::map<std::uint32_t, KeyBytes>, std::uint32_t>> parse_keys(std::string_view text,
                                                                               const std::string& origin) {
  std::map<std::uint32_t, KeyBytes> keys;
  std::optional<std::uint32_t> current;
  std::size_t line_no = 0;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    const auto where = origin + ":" + std::to_string(line_no) + ": ";
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    std::istringstream words(line);
    std::string verb, id_text, hex, extra;
    words >> verb >> id_text >> hex >> extra;
    std::uint32_t id = 0;
    const auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (ec != std::errc() || end != id_text.data() + id_text.size() || id == 0) {
      return fail(CryptoErrc::key_file_invalid, where + "a key id is a number from 1 to 4294967295");
    }
    if (verb == "current" && hex.empty()) {
      if (current) return fail(CryptoErrc::key_file_invalid, where + "a second 'current' line");
      current = id;
    } else if (verb == "key" && extra.empty()) {
      if (hex.size() != 2 * kKeyBytes) {
        return fail(CryptoErrc::key_file_invalid, where + "a key is 64 hex digits (256 bits)");
      }
      KeyBytes key{};
      for (std::size_t i = 0; i < kKeyBytes; ++i) {
        const int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return fail(CryptoErrc::key_file_invalid, where + "a key is 64 hex digits (256 bits)");
        key[i] = static_cast<unsigned char>(hi * 16 + lo);
      }
      if (!keys.emplace(id, key).second) return fail(CryptoErrc::key_file_invalid, where + "key " + id_text + " twice");
    } else {
      return fail(CryptoErrc::key_file_invalid, where + "expected 'key <id> <hex>' or 'current <id>'");
    }
  }
  if (!current) return fail(CryptoErrc::key_file_invalid, origin + ": no 'current <id>' line");
  if (!keys.contains(*current)) {
    return fail(CryptoErrc::key_file_invalid,
                origin + ": current key " + std::to_string(*current) + " is not in the file");
  }
  return std::pair{std::move(keys), *current};
}

Result<std::string> read_key_file(const std::filesystem::path& path) {
  // The checks are made on the file opened, not on the name again (a swap between the two would go
  // unseen): a regular file, readable by its owner only, and that owner this process or root.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(CryptoErrc::key_file_missing,
                path.string() + (errno == ENOENT ? "" : ": " + std::string(std::strerror(errno))));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(CryptoErrc::key_file_missing, path.string() + ": cannot stat");
  if (!S_ISREG(st.st_mode)) return fail(CryptoErrc::key_file_insecure, path.string() + ": not a regular file");
  if ((st.st_mode & 077) != 0) {
    return fail(CryptoErrc::key_file_insecure, path.string() + ": mode " + std::to_string((st.st_mode >> 6) & 7) +
                                                   std::to_string((st.st_mode >> 3) & 7) +
                                                   std::to_string(st.st_mode & 7) + ", need 600 (chmod 600 " +
                                                   path.string() + ")");
  }
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    return fail(CryptoErrc::key_file_insecure, path.string() + ": owned by uid " + std::to_string(st.st_uid) +
                                                   ", not by this process (uid " + std::to_string(::geteuid()) +
                                                   ") or root");
  }
  std::string text;
  char buf[4096];
  for (;;) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(CryptoErrc::key_file_missing, path.string() + ": cannot read");
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

}  // namespace

Result<KeyRing> KeyRing::make(std::map<std::uint32_t, KeyBytes> keys, std::uint32_t current) {
  if (!keys.contains(current)) {
    return fail(CryptoErrc::key_file_invalid, "current key " + std::to_string(current) + " is not in the ring");
  }
  return KeyRing(std::move(keys), current);
}

Result<std::string> KeyRing::seal(std::string_view plain, std::string_view associated) const {
  std::string out;
  out.reserve(kOverheadBytes + plain.size());
  out.append(kMagic);
  put_u32(out, current_);
  unsigned char nonce[kNonceBytes];
  if (RAND_bytes(nonce, sizeof nonce) != 1) return openssl_failure("RAND_bytes");
  out.append(reinterpret_cast<const char*>(nonce), sizeof nonce);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, keys_.at(current_).data(), nonce) != 1 ||
      (!associated.empty() &&
       EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes(associated), static_cast<int>(associated.size())) != 1)) {
    return openssl_failure("AES-256-GCM seal");
  }
  const auto at = out.size();
  out.resize(at + plain.size() + kTagBytes);
  auto* cipher = reinterpret_cast<unsigned char*>(out.data() + at);
  int written = 0;
  if ((!plain.empty() &&
       EVP_EncryptUpdate(ctx.get(), cipher, &written, bytes(plain), static_cast<int>(plain.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), cipher + written, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), cipher + plain.size()) != 1) {
    return openssl_failure("AES-256-GCM seal");
  }
  return out;
}

Result<std::string> KeyRing::open(std::string_view sealed, std::string_view associated) const {
  if (!is_sealed(sealed)) return fail(CryptoErrc::not_sealed);
  if (sealed.size() < kOverheadBytes) return fail(CryptoErrc::auth_failed, "shorter than a sealed value");
  const auto id = get_u32(sealed.substr(4));
  const auto key = keys_.find(id);
  if (key == keys_.end()) return fail(CryptoErrc::unknown_key, "key " + std::to_string(id));
  const auto* nonce = bytes(sealed.substr(8));
  const auto cipher = sealed.substr(kHeaderBytes, sealed.size() - kHeaderBytes - kTagBytes);
  unsigned char tag[kTagBytes];
  std::copy_n(bytes(sealed.substr(sealed.size() - kTagBytes)), kTagBytes, tag);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key->second.data(), nonce) != 1 ||
      (!associated.empty() &&
       EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes(associated), static_cast<int>(associated.size())) != 1)) {
    return openssl_failure("AES-256-GCM open");
  }
  std::string plain(cipher.size(), '\0');
  int written = 0;
  if (!cipher.empty() && EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &written,
                                           bytes(cipher), static_cast<int>(cipher.size())) != 1) {
    return openssl_failure("AES-256-GCM open");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag) != 1) {
    return openssl_failure("AES-256-GCM open");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + written, &n) != 1) {
    ERR_clear_error();
    return fail(CryptoErrc::auth_failed, "key " + std::to_string(id));
  }
  return plain;
}

Result<KeyBytes> KeyRing::derived_key(std::uint32_t id, std::string_view label) const {
  const auto key = keys_.find(id);
  if (key == keys_.end()) return fail(CryptoErrc::unknown_key, "key " + std::to_string(id));
  KeyBytes out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key->second.data(), static_cast<int>(key->second.size()), bytes(label), label.size(),
           out.data(), &len) == nullptr ||
      len != out.size()) {
    return openssl_failure("HMAC-SHA256 derived key");
  }
  return out;
}

std::vector<std::uint32_t> KeyRing::ids() const {
  std::vector<std::uint32_t> out;
  out.reserve(keys_.size());
  for (const auto& [id, key] : keys_) out.push_back(id);
  return out;
}

Result<std::string> KeyRing::lookup_tag(std::string_view value) const {
  auto lookup = lookup_key();  // from the lowest id: make() guarantees a key
  if (!lookup) return fail(lookup.error());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), lookup->data(), static_cast<int>(lookup->size()), bytes(value), value.size(), mac, &mac_len) ==
      nullptr) {
    return openssl_failure("HMAC-SHA256 lookup tag");
  }
  return codec::to_hex(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

bool KeyRing::is_sealed(std::string_view value) { return value.starts_with(kMagic); }

std::optional<std::uint32_t> KeyRing::key_id_of(std::string_view sealed) {
  if (!is_sealed(sealed) || sealed.size() < 8) return std::nullopt;
  return get_u32(sealed.substr(4));
}

Result<KeyRing> parse_key_file(std::string_view text, const std::string& origin) {
  auto parsed = parse_keys(text, origin);
  if (!parsed) return fail(parsed.error());
  return KeyRing::make(std::move(parsed->first), parsed->second);
}

Result<KeyRing> load_key_file(const std::filesystem::path& path) {
  auto text = read_key_file(path);
  if (!text) return fail(text.error());
  return parse_key_file(*text, path.string());
}

Result<void> ensure_key_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return {};
  auto key = random_key();
  if (!key) return fail(key.error());
  return write_private_file(path, key_file_text({{1, *key}}, 1));
}

Result<std::uint32_t> rotate_key_file(const std::filesystem::path& path) {
  auto text = read_key_file(path);
  if (!text) return fail(text.error());
  auto parsed = parse_keys(*text, path.string());
  if (!parsed) return fail(parsed.error());
  auto& keys = parsed->first;
  const std::uint32_t next = keys.rbegin()->first + 1;
  if (next == 0) return fail(CryptoErrc::key_file_invalid, path.string() + ": no key id left");
  auto key = random_key();
  if (!key) return fail(key.error());
  keys.emplace(next, *key);
  if (auto r = write_private_file(path, key_file_text(keys, next)); !r) return fail(r.error());
  return next;
}

}  // namespace crypto
}  // namespace fb
