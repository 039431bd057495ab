#include "fb/common/private_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fb {

namespace {

/// Makes a rename in `dir` durable: without it a power cut may bring back the old file while data
/// written after (sealed with a new key) survives. A file system that cannot sync a directory
/// (EINVAL on some FUSE and 9p mounts), or a directory that cannot be opened for reading, is not
/// a failure: the file is in place, as durable as that file system makes it (as PostgreSQL's
/// fsync_fname treats them).
bool sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno == EACCES;
  const bool synced = ::fsync(fd) == 0 || errno == EINVAL || errno == EROFS;
  const int err = errno;
  ::close(fd);
  errno = err;
  return synced;
}

/// Temporaries of `path` a crash left behind (older than a minute: a concurrent writer's own is
/// younger): they may hold a key.
void remove_stale_temporaries(const std::filesystem::path& path) {
  std::error_code ec;
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const auto prefix = path.filename().string() + ".tmp.";
  const auto now = std::filesystem::file_time_type::clock::now();
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (!name.starts_with(prefix) || name.size() != prefix.size() + 6) continue;
    const auto written = e.last_write_time(ec);
    if (!ec && now - written > std::chrono::minutes(1)) std::filesystem::remove(e.path(), ec);
  }
}

}  // namespace

Result<void> write_private_file(const std::filesystem::path& path, const std::string& text) {
  // A name of its own (mkostemp: O_EXCL, mode 0600), so that two writers of one file never write
  // into or rename each other's half-written temporary.
  remove_stale_temporaries(path);
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
    return fail(StorageErrc::io,
                "replaced " + path.string() + " but cannot sync its directory: " + std::strerror(errno));
  }
  return {};
}

}  // namespace fb
