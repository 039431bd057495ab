#include "fb/common/private_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

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
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"export.json"});  // no temporary left
}

// Two writers of one key file (two services starting, two rotations): each call succeeds and the
// file is always one whole text, never a mix or a truncated one.
TEST(PrivateFile, ConcurrentWritersEachLeaveAWholeFile) {
  test::TempDir dir;
  const auto path = dir / "store.key";
  const std::string a(4096, 'a'), b(8192, 'b');
  std::atomic<int> failures{0};
  auto writer = [&](const std::string& text) {
    for (int i = 0; i < 200; ++i) {
      if (!write_private_file(path, text)) ++failures;
    }
  };
  std::atomic<int> writing{2};
  auto counted = [&](const std::string& text) {
    writer(text);
    --writing;
  };
  std::thread one(counted, a), two(counted, b);
  // Read for as long as either writes: a write that truncates in place would be seen half done.
  std::set<std::string> seen;
  int reads = 0;
  while (writing.load() > 0) {
    if (std::filesystem::exists(path)) {
      seen.insert(read(path));
      ++reads;
    }
  }
  one.join();
  two.join();
  EXPECT_GT(reads, 10) << "the reader ran while the writers wrote";
  EXPECT_EQ(failures.load(), 0);
  seen.insert(read(path));
  for (const auto& text : seen) EXPECT_TRUE(text == a || text == b) << text.size() << " bytes";
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1u);
}

// A crash between the temporary's creation and its rename leaves a file that may hold a key: the
// next write removes one older than a minute, and leaves a concurrent writer's fresh one.
TEST(PrivateFile, AStaleTemporaryIsRemovedAndAFreshOneKept) {
  test::TempDir dir;
  const auto path = dir / "store.key";
  const auto stale = path + ".tmp.AbC123", fresh = path + ".tmp.XyZ789";
  std::ofstream(stale) << "old key";
  std::ofstream(fresh) << "being written";
  std::filesystem::last_write_time(stale, std::filesystem::file_time_type::clock::now() - std::chrono::minutes(5));
  ASSERT_TRUE(write_private_file(path, "new key"));
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(fresh));
  EXPECT_EQ(read(path), "new key");
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
