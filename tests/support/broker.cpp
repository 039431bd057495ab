#include "broker.hpp"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "paths.hpp"

namespace fb::test {

Pki::Pki(const std::string& dir, const std::vector<std::string>& vins) : dir_(dir) {
  // A second backend identity too, for the tests of two instances (docs/deploy.md).
  std::string cmd = "FB_BACKENDS=fb-backend-2 " + std::string(kDeployDir) + "/gen-certs.sh " + dir;
  for (const auto& v : vins) cmd += " " + v;
  std::string out;
  if (run_command(cmd, &out) != 0) throw std::runtime_error("gen-certs.sh failed: " + out);
}

mqtt::TlsFiles Pki::backend() const { return mqtt::tls_files_in(dir_ + "/backend"); }

mqtt::TlsFiles Pki::vehicle(const std::string& vin) const { return mqtt::tls_files_in(dir_ + "/vehicles/" + vin); }

Broker::Broker(const std::string& run_dir, const Pki& pki, bool plain_listener) : run_dir_(run_dir) {
  std::string env;
  if (plain_listener) {
    std::filesystem::create_directories(run_dir_);
    plain_password_ = "bench-" + std::to_string(::getpid()) + "-" + std::to_string(free_port());
    const auto file = run_dir_ + "/plain-passwords";
    std::string out;
    if (run_command("mosquitto_passwd -c -b " + file + " fb-backend " + plain_password_, &out) != 0) {
      throw std::runtime_error("mosquitto_passwd failed: " + out);
    }
    env = "FB_BROKER_PASSWORD_FILE=" + file + " ";
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port();
    if (plain_listener) plain_port_ = free_port();
    std::string out;
    const auto plain = plain_listener ? "FB_BROKER_PLAIN_PORT=" + std::to_string(plain_port_) + " " : std::string();
    const auto cmd = env + plain + std::string(kDeployDir) + "/broker-config.sh " + run_dir_ + " " + pki.dir() + " " +
                     std::to_string(port_);
    if (run_command(cmd, &out) != 0) throw std::runtime_error("broker-config.sh failed: " + out);
    start();
    if (process_->running()) return;
  }
  throw std::runtime_error("mosquitto did not start: " + process_->output());
}

Broker::~Broker() { stop(false); }

void Broker::start() {
  process_ = std::make_unique<Process>("mosquitto",
                                       std::vector<std::string>{kMosquitto, "-c", run_dir_ + "/mosquitto.conf"});
  if (!process_->wait_for_line("mosquitto version .* running", std::chrono::seconds(10))) {
    process_->kill_and_wait(SIGKILL);
  }
}

void Broker::stop(bool graceful) {
  if (!process_ || !process_->running()) return;
  // Mosquitto 2.0.11 installs its signal handlers, logs "running" (where start() returns) and
  // only then sets its run flag: a SIGTERM in between is lost, and one wait for the exit would
  // never end (a test hung for its whole timeout). So SIGTERM again each 0.5 s, 20 times at most.
  if (graceful && process_->signal_until_exit(SIGTERM, std::chrono::milliseconds(500), 20)) return;
  process_->kill_and_wait(SIGKILL);
}

mqtt::ClientOptions client_options(const Broker& broker, const std::string& client_id, const mqtt::TlsFiles& tls) {
  mqtt::ClientOptions o;
  o.server_uri = broker.uri();
  o.client_id = client_id;
  o.tls = tls;
  o.reconnect_min = std::chrono::milliseconds(100);
  o.reconnect_max = std::chrono::milliseconds(1000);
  return o;
}

}  // namespace fb::test
