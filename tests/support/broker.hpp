// A real Mosquitto broker for integration tests and benchmarks, configured by the project's own
// deploy scripts (TLS with client certificates, ACL) on a free loopback port.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fb/mqtt/client.hpp"
#include "process.hpp"

namespace fb::test {

/// The PKI from deploy/gen-certs.sh in a directory.
class Pki {
 public:
  /// Generates a CA, broker, backend and one certificate per VIN. Throws on failure.
  Pki(const std::string& dir, const std::vector<std::string>& vins);
  const std::string& dir() const { return dir_; }
  mqtt::TlsFiles backend() const;
  mqtt::TlsFiles vehicle(const std::string& vin) const;

 private:
  std::string dir_;
};

class Broker {
 public:
  /// Writes the config with deploy/broker-config.sh into `run_dir` and starts mosquitto,
  /// waiting for its "running" line. Throws on failure.
  /// `plain_listener`: also a plain-TCP loopback listener where the backend logs in as
  /// "fb-backend" with plain_password() (the benchmark's tls_vs_plain; deploy/broker-config.sh).
  Broker(const std::string& run_dir, const Pki& pki, bool plain_listener = false);
  ~Broker();

  int port() const { return port_; }
  std::string uri() const { return "ssl://127.0.0.1:" + std::to_string(port_); }
  /// The plain listener's "tcp://127.0.0.1:<port>"; empty without one.
  std::string plain_uri() const { return plain_port_ ? "tcp://127.0.0.1:" + std::to_string(plain_port_) : ""; }
  const std::string& plain_password() const { return plain_password_; }
  /// Stops with SIGTERM (mosquitto saves its persistence file; sent again until it exits, up to
  /// 10 s, then SIGKILL) or SIGKILL.
  void stop(bool graceful = true);
  /// Starts again on the same port with the same persistence.
  void start();
  Process& process() { return *process_; }

 private:
  std::string run_dir_;
  int port_ = 0;
  int plain_port_ = 0;
  std::string plain_password_;
  std::unique_ptr<Process> process_;
};

/// Client options for a test client with the given identity's files.
mqtt::ClientOptions client_options(const Broker& broker, const std::string& client_id, const mqtt::TlsFiles& tls);

}  // namespace fb::test
