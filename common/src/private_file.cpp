#include "fb/common/private_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fb {

namespace {

/// Makes a rename in `dir` durable: without it a power cut may bring back the old file while data
/// written after (sealed with a new key) survives.
bool sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  return synced;
}

}  // namespace

Result<void> write_private_file(const std::filesystem::path& path, const std::string& text) {
  // A name of its own (mkostemp: O_EXCL, mode 0600), so that two writers of one file never write
  // into or rename each other's half-written temporary.
  std::string tmp = path.string() + ".tmp.XXXXXX";
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return fail(StorageErrc::io, "cannot create " + tmp + ": " + std::strerror(errno));
  const auto failed = [&](const std::string& what, int err) {
    ::unlink(tmp.c_str());
    return fail(StorageErrc::io, what + ": " + std::strerror(err));
  };
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      return failed("cannot write " + tmp, err);
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const int sync_err = errno;
  if (::close(fd) != 0 || !synced) return failed("cannot write " + tmp, synced ? errno : sync_err);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return failed("cannot replace " + path.string(), errno);
  if (!sync_directory(path.parent_path())) {
    return fail(StorageErrc::io, "cannot sync the directory of " + path.string() + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace fb
