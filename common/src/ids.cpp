#include "fb/common/ids.hpp"

#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <stdexcept>

namespace fb {

namespace {

std::array<std::uint8_t, 16> random_bytes() {
  std::array<std::uint8_t, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    // The OpenSSL DRBG only fails when the OS has no entropy; random_device is our last resort.
    std::random_device rd;
    for (auto& x : b) x = static_cast<std::uint8_t>(rd());
  }
  return b;
}

/// Sets the version nibble and the RFC 9562 variant, and formats 8-4-4-4-12.
std::string uuid_text(std::array<std::uint8_t, 16> b, std::uint8_t version) {
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | (version << 4));
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(hex[b[i] >> 4]);
    s.push_back(hex[b[i] & 0x0f]);
  }
  return s;
}

}  // namespace

std::string new_uuid() { return uuid_text(random_bytes(), 4); }

std::string new_time_ordered_uuid() {
  // RFC 9562 section 6.2, method 1: a 26-bit counter after the millisecond (rand_a and the top
  // of rand_b), started at a random value below 2^25 in each new millisecond, so that the ids a
  // process makes sort in the order it made them: an index then takes a burst of them on the
  // same leaf, and an ack of the next report finds its neighbour's page.
  constexpr std::uint32_t kCounterBits = 26;
  struct Sequence {
    std::mutex mu;  // guards the two fields below; held only to step them
    std::uint64_t ms = 0;
    std::uint32_t counter = 0;
  };
  static Sequence sequence;
  auto b = random_bytes();
  const auto seed = ((std::uint32_t{b[6]} << 24) | (std::uint32_t{b[7]} << 16) | (std::uint32_t{b[8]} << 8) | b[9]) &
                    ((1u << (kCounterBits - 1)) - 1);
  const auto now = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  std::uint64_t ms = 0;
  std::uint32_t counter = 0;
  {
    std::lock_guard lock(sequence.mu);
    if (now > sequence.ms) {
      sequence.ms = now;
      sequence.counter = seed;
    } else if (++sequence.counter >= (1u << kCounterBits)) {
      // The same millisecond (or a clock stepped back: the ids keep its last one and count on);
      // a full counter moves on to the next millisecond.
      ++sequence.ms;
      sequence.counter = seed;
    }
    ms = sequence.ms;
    counter = sequence.counter;
  }
  for (int i = 0; i < 6; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<std::uint8_t>(counter >> 22);  // its low nibble; uuid_text sets the version
  b[7] = static_cast<std::uint8_t>(counter >> 14);
  b[8] = static_cast<std::uint8_t>((counter >> 8) & 0x3f);  // below the variant bits
  b[9] = static_cast<std::uint8_t>(counter);
  return uuid_text(b, 7);
}

std::string_view short_id(std::string_view uuid) { return uuid.size() <= 8 ? uuid : uuid.substr(uuid.size() - 8); }

bool names_id(std::string_view id, std::string_view text) {
  if (text.size() < 4) return !text.empty() && text == id;
  return id.starts_with(text) || (text.size() == 8 && short_id(id) == text);
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

bool is_valid_vin(std::string_view vin) {
  if (vin.size() != 17) return false;
  for (char c : vin) {
    const bool digit = c >= '0' && c <= '9';
    const bool upper = c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'Q';
    if (!digit && !upper) return false;
  }
  return true;
}

}  // namespace fb
