#include "fb/common/private_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace fb {

Result<void> write_private_file(const std::filesystem::path& path, const std::string& text) {
  const std::string tmp = path.string() + ".tmp";
  const auto failed = [&](const std::string& what, int err) {
    ::unlink(tmp.c_str());
    return fail(StorageErrc::io, what + ": " + std::strerror(err));
  };
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return fail(StorageErrc::io, "cannot create " + tmp + ": " + std::strerror(errno));
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
  return {};
}

}  // namespace fb
