// Personal data at rest: AES-256-GCM sealing, key files and rotation (fb/common/crypto.hpp).
#include "fb/common/crypto.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fb::crypto {
namespace {

KeyRing ring_with(std::uint32_t id, unsigned char fill) {
  KeyBytes key{};
  key.fill(fill);
  auto r = KeyRing::make({{id, key}}, id);
  EXPECT_TRUE(r);
  return std::move(*r);
}

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("fb-crypto-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST(Seal, OpensToThePlainTextAndHidesIt) {
  const auto ring = ring_with(7, 0x11);
  const std::string phone = "+86 138 0013 8000";
  auto sealed = ring.seal(phone, "callbacks/abc/phone");
  ASSERT_TRUE(sealed) << sealed.error().what();
  EXPECT_EQ(sealed->size(), phone.size() + kOverheadBytes);
  EXPECT_EQ(sealed->find(phone), std::string::npos);
  EXPECT_EQ(sealed->find("138"), std::string::npos);
  EXPECT_TRUE(KeyRing::is_sealed(*sealed));
  EXPECT_EQ(KeyRing::key_id_of(*sealed), 7U);
  auto opened = ring.open(*sealed, "callbacks/abc/phone");
  ASSERT_TRUE(opened) << opened.error().what();
  EXPECT_EQ(*opened, phone);
}

TEST(Seal, TheSameTextSealsDifferentlyEachTime) {
  const auto ring = ring_with(1, 0x22);
  auto a = ring.seal("same", "x");
  auto b = ring.seal("same", "x");
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);  // a fresh nonce each time: equal values are not recognisable
}

TEST(Seal, EmptyTextRoundTrips) {
  const auto ring = ring_with(1, 0x23);
  auto sealed = ring.seal("", "x");
  ASSERT_TRUE(sealed);
  auto opened = ring.open(*sealed, "x");
  ASSERT_TRUE(opened) << opened.error().what();
  EXPECT_EQ(*opened, "");
}

TEST(Seal, AnyChangedByteOrOtherPlaceFailsAuthentication) {
  const auto ring = ring_with(1, 0x33);
  auto sealed = ring.seal("刹车异响, call me on 13800138000", "reports/r1/text");
  ASSERT_TRUE(sealed);
  for (std::size_t i = 8; i < sealed->size(); ++i) {  // past magic and key id: nonce, cipher text, tag
    auto tampered = *sealed;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    auto opened = ring.open(tampered, "reports/r1/text");
    ASSERT_FALSE(opened) << "byte " << i;
    EXPECT_EQ(opened.error().code, CryptoErrc::auth_failed) << "byte " << i;
  }
  auto moved = ring.open(*sealed, "reports/r2/text");  // copied into another row
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, CryptoErrc::auth_failed);
  auto truncated = ring.open(sealed->substr(0, sealed->size() - 1), "reports/r1/text");
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code, CryptoErrc::auth_failed);
}

TEST(Seal, AnotherKeyOrPlainTextIsRefusedWithItsReason) {
  const auto mine = ring_with(1, 0x44);
  const auto other_car = ring_with(2, 0x55);
  const auto same_id_other_key = ring_with(1, 0x66);
  auto sealed = mine.seal("secret", "a");
  ASSERT_TRUE(sealed);
  auto unknown = other_car.open(*sealed, "a");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, CryptoErrc::unknown_key);
  EXPECT_NE(unknown.error().detail.find("key 1"), std::string::npos);
  auto wrong = same_id_other_key.open(*sealed, "a");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, CryptoErrc::auth_failed);
  auto plain = mine.open("13800138000", "a");
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().code, CryptoErrc::not_sealed);
}

TEST_F(KeyFileTest, ANewFileIsPrivateAndItsKeySealsAndOpens) {
  const auto path = dir_ / "keys";
  ASSERT_TRUE(ensure_key_file(path));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  auto ring = load_key_file(path);
  ASSERT_TRUE(ring) << ring.error().what();
  EXPECT_EQ(ring->current_id(), 1U);
  const auto before = std::filesystem::last_write_time(path);
  ASSERT_TRUE(ensure_key_file(path));  // an existing file is never replaced: that would lose data
  EXPECT_EQ(std::filesystem::last_write_time(path), before);
  auto again = load_key_file(path);
  ASSERT_TRUE(again);
  auto sealed = ring->seal("x", "y");
  ASSERT_TRUE(sealed);
  EXPECT_TRUE(again->open(*sealed, "y"));
}

TEST_F(KeyFileTest, AFileOthersCanReadIsRefused) {
  const auto path = dir_ / "keys";
  ASSERT_TRUE(ensure_key_file(path));
  ::chmod(path.c_str(), 0644);
  auto ring = load_key_file(path);
  ASSERT_FALSE(ring);
  EXPECT_EQ(ring.error().code, CryptoErrc::key_file_insecure);
  EXPECT_NE(ring.error().detail.find("644"), std::string::npos) << ring.error().detail;
  auto missing = load_key_file(dir_ / "none");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, CryptoErrc::key_file_missing);
}

// A 0600 file is private to its owner only: one owned by another user (who can rewrite it), or
// something that is not a regular file, is refused too.
TEST_F(KeyFileTest, AKeyFileOfAnotherUserOrNotAFileIsRefused) {
  const auto dir_path = dir_ / "a-directory";
  std::filesystem::create_directory(dir_path);
  ::chmod(dir_path.c_str(), 0700);
  auto not_file = load_key_file(dir_path);
  ASSERT_FALSE(not_file);
  EXPECT_EQ(not_file.error().code, CryptoErrc::key_file_insecure);
  EXPECT_NE(not_file.error().detail.find("not a regular file"), std::string::npos) << not_file.error().detail;

  const auto path = dir_ / "keys";
  ASSERT_TRUE(ensure_key_file(path));
  if (::geteuid() != 0) GTEST_SKIP() << "changing a file's owner needs root";
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);  // nobody
  auto foreign = load_key_file(path);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, CryptoErrc::key_file_insecure);
  EXPECT_NE(foreign.error().detail.find("owned by uid 65534"), std::string::npos) << foreign.error().detail;
}

TEST_F(KeyFileTest, RotationSealsWithTheNewKeyAndStillOpensWhatTheOldOneSealed) {
  const auto path = dir_ / "keys";
  ASSERT_TRUE(ensure_key_file(path));
  auto old_ring = load_key_file(path);
  ASSERT_TRUE(old_ring);
  auto old_value = old_ring->seal("old phone", "p");
  ASSERT_TRUE(old_value);
  auto id = rotate_key_file(path);
  ASSERT_TRUE(id) << id.error().what();
  EXPECT_EQ(*id, 2U);
  auto ring = load_key_file(path);
  ASSERT_TRUE(ring) << ring.error().what();
  EXPECT_EQ(ring->current_id(), 2U);
  EXPECT_EQ(ring->size(), 2U);
  auto new_value = ring->seal("new phone", "p");
  ASSERT_TRUE(new_value);
  EXPECT_EQ(KeyRing::key_id_of(*new_value), 2U);
  auto opened_old = ring->open(*old_value, "p");
  ASSERT_TRUE(opened_old) << opened_old.error().what();
  EXPECT_EQ(*opened_old, "old phone");
  EXPECT_FALSE(old_ring->open(*new_value, "p"));  // the old ring does not know key 2
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
}

TEST(KeyFileParse, ErrorsNameTheLineAndTheProblem) {
  const std::string key(64, 'a');
  struct Case {
    std::string text;
    std::string expected;
  };
  for (const auto& c : std::vector<Case>{
           {"key 1 " + key + "\n", "no 'current"},
           {"key 1 " + key + "\ncurrent 2\n", "current key 2 is not in the file"},
           {"# c\nkey 1 abc\ncurrent 1\n", "k:2: a key is 64 hex digits"},
           {"key 1 " + std::string(64, 'g') + "\ncurrent 1\n", "k:1: a key is 64 hex digits"},
           {"key 0 " + key + "\ncurrent 0\n", "k:1: a key id is a number"},
           {"key 1 " + key + "\nkey 1 " + key + "\ncurrent 1\n", "k:2: key 1 twice"},
           {"key 1 " + key + "\ncurrent 1\ncurrent 1\n", "k:3: a second 'current'"},
           {"lock 1 " + key + "\n", "k:1: expected 'key <id> <hex>'"},
       }) {
    auto ring = parse_key_file(c.text, "k");
    ASSERT_FALSE(ring) << c.text;
    EXPECT_EQ(ring.error().code, CryptoErrc::key_file_invalid) << c.text;
    EXPECT_NE(ring.error().detail.find(c.expected), std::string::npos) << ring.error().detail;
  }
  auto ok = parse_key_file("\n# keys\r\nkey 9 " + key + "\r\ncurrent 9\n", "k");
  ASSERT_TRUE(ok) << ok.error().what();
  EXPECT_EQ(ok->current_id(), 9U);
}

}  // namespace
}  // namespace fb::crypto
