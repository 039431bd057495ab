#include "privacy_export.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace fb::car {

Result<void> write_export(const std::string& json, const std::string& path) {
  if (path.empty()) {
    std::cout << json << '\n' << std::flush;
    if (!std::cout) return fail(StorageErrc::io, "cannot write the export to standard output");
    return {};
  }
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());  // a leftover (with its own mode, or a link elsewhere) is not reused
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return fail(StorageErrc::io, "cannot create " + tmp + ": " + std::strerror(errno));
  const std::string body = json + '\n';
  std::size_t done = 0;
  while (done < body.size()) {
    const auto n = ::write(fd, body.data() + done, body.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail(StorageErrc::io, "cannot write " + tmp + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const int sync_err = errno;
  if (::close(fd) != 0 || !synced) {
    const int err = synced ? errno : sync_err;
    ::unlink(tmp.c_str());
    return fail(StorageErrc::io, "cannot write " + tmp + ": " + std::strerror(err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return fail(StorageErrc::io, "cannot rename " + tmp + " to " + path + ": " + std::strerror(err));
  }
  return {};
}

}  // namespace fb::car
