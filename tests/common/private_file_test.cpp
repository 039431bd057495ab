#include "fb/common/private_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "process.hpp"

namespace fb {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(PrivateFile, IsWrittenWholeWithModeSixHundredAndNoTemporaryLeft) {
  test::TempDir dir;
  const auto path = dir / "export.json";
  std::ofstream(path) << "old";
  ASSERT_TRUE(write_private_file(path, "{\"new\": true}\n"));
  EXPECT_EQ(read(path), "{\"new\": true}\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(PrivateFile, ALeftoverTemporaryLinkIsNotFollowed) {
  test::TempDir dir;
  const auto path = dir / "car.keys";
  const auto elsewhere = dir / "elsewhere";
  std::ofstream(elsewhere) << "untouched";
  std::filesystem::create_symlink(elsewhere, path + ".tmp");
  ASSERT_TRUE(write_private_file(path, "secret"));
  EXPECT_EQ(read(path), "secret");
  EXPECT_EQ(read(elsewhere), "untouched");
  EXPECT_FALSE(std::filesystem::is_symlink(path));
}

TEST(PrivateFile, AnUnwritablePlaceIsAnIoErrorNamingTheFile) {
  auto r = write_private_file("/nonexistent-dir/export.json", "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(StorageErrc::io));
  EXPECT_NE(r.error().detail.find("/nonexistent-dir/export.json.tmp"), std::string::npos) << r.error().detail;
}

}  // namespace
}  // namespace fb
