// A PostgreSQL server for tests, as Broker is for Mosquitto: its own data directory in a
// temporary directory, listening on a unix socket there and on a free TCP port of 127.0.0.1,
// fsync off. The binaries are $FB_PG_BINDIR or the newest /usr/lib/postgresql/*/bin. The
// cluster is made once per machine, binaries and user (initdb takes seconds) and copied
// for each server.
//
// PostgreSQL refuses to run as root: as root (CI) the server runs as the `postgres` user the
// Debian package creates, through setpriv. It dies with the test process (PR_SET_PDEATHSIG set
// after the uid change), and stop() or the destructor shuts it down.
//
// Threads: one owner (the test). Errors: start() returns false with why() set.
#pragma once

#include <memory>
#include <string>

#include "process.hpp"

namespace fb::test {

class PostgresServer {
 public:
  /// `durable`: commits reach the disk (fsync, synchronous_commit, full-page writes on, as a
  /// production server runs), for benchmarks; the tests' default turns all three off.
  explicit PostgresServer(bool durable = false);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  /// Makes (or copies) the cluster and starts the server; waits until it accepts connections.
  /// After stop(), starts the same cluster again on the same port (a server restart).
  bool start();
  void stop();
  bool running() const { return process_ != nullptr; }
  const std::string& why() const { return why_; }

  int port() const { return port_; }
  /// libpq connection string for `database` ("postgres" exists from the start).
  std::string conninfo(const std::string& database = "postgres") const;

  /// The server of this test process, started at first use and stopped at exit; nullptr (with
  /// the reason on stderr) when it cannot start.
  static PostgresServer* shared();

 private:
  TempDir dir_{"fbpg"};
  int port_ = 0;
  bool durable_ = false;
  std::unique_ptr<Process> process_;
  std::string why_;
};

}  // namespace fb::test
