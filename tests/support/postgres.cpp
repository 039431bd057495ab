#include "postgres.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>

namespace fb::test {
namespace {

namespace fs = std::filesystem;

/// The server's binaries: $FB_PG_BINDIR, else Debian's newest /usr/lib/postgresql/<major>/bin.
std::string bin_dir() {
  if (const char* dir = std::getenv("FB_PG_BINDIR"); dir != nullptr && *dir != '\0') return dir;
  int best = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto name = e.path().filename().string();
    if (fs::exists(e.path() / "bin" / "postgres") && std::isdigit(static_cast<unsigned char>(name[0])) != 0) {
      best = std::max(best, std::atoi(name.c_str()));
    }
  }
  return "/usr/lib/postgresql/" + std::to_string(best) + "/bin";
}

/// The command prefix that runs a server binary as a user PostgreSQL accepts.
std::vector<std::string> as_server_user() {
  if (geteuid() != 0) return {};
  return {"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--pdeathsig=TERM", "--"};
}

std::string shell_prefix() {
  std::string s;
  for (const auto& a : as_server_user()) s += a + " ";
  return s;
}

bool give_to_server_user(const fs::path& path, std::string& why) {
  if (geteuid() != 0) return true;
  if (run_command("chown -R postgres:postgres '" + path.string() + "'") != 0) {
    why = "chown to postgres failed: " + path.string();
    return false;
  }
  return true;
}

/// A cluster made by initdb once for this user, copied by every server: initdb takes seconds.
/// Made aside and renamed into place, so that test processes racing to make it agree.
bool template_cluster(fs::path& out, std::string& why) {
  // Per server binaries and user: a cluster is only readable by the major version that made it.
  out = fs::temp_directory_path() /
        ("fb-pg-template-" + std::to_string(std::hash<std::string>{}(bin_dir())) + "-" + std::to_string(geteuid()));
  if (fs::exists(out / "PG_VERSION")) return true;
  const fs::path work = out.string() + ".tmp" + std::to_string(getpid());
  std::error_code ec;
  fs::create_directories(work, ec);
  fs::permissions(work, fs::perms::owner_all, ec);
  if (!give_to_server_user(work, why)) return false;
  std::string output;
  const auto cmd = shell_prefix() + bin_dir() + "/initdb -D '" + work.string() +
                   "' -U postgres -A trust -E UTF8 --locale=C -N --no-instructions";
  if (run_command(cmd, &output) != 0) {
    why = "initdb failed: " + output;
    fs::remove_all(work, ec);
    return false;
  }
  fs::rename(work, out, ec);
  if (ec) fs::remove_all(work, ec);  // another process was first: use its cluster
  return fs::exists(out / "PG_VERSION");
}

}  // namespace

PostgresServer::PostgresServer(bool durable) : durable_(durable) {}
PostgresServer::~PostgresServer() { stop(); }

bool PostgresServer::start() {
  fs::path tmpl;
  if (!template_cluster(tmpl, why_)) return false;
  const auto data = fs::path(dir_.path()) / "data";
  if (!fs::exists(data)) {  // else a restart: the same cluster on the same port
    if (run_command("cp -a '" + tmpl.string() + "' '" + data.string() + "'") != 0) {
      why_ = "copying the template cluster failed";
      return false;
    }
    if (!give_to_server_user(fs::path(dir_.path()), why_)) return false;
    port_ = free_port();
  }
  auto argv = as_server_user();
  const std::string on_disk = durable_ ? "on" : "off";
  for (std::string a :
       {bin_dir() + "/postgres", std::string("-D"), data.string(), std::string("-k"), dir_.path(), std::string("-h"),
        std::string("127.0.0.1"), std::string("-p"), std::to_string(port_), std::string("-c"), "fsync=" + on_disk,
        std::string("-c"), "synchronous_commit=" + on_disk, std::string("-c"), "full_page_writes=" + on_disk,
        std::string("-c"), std::string("max_connections=40"), std::string("-c"),
        std::string(durable_ ? "shared_buffers=128MB" : "shared_buffers=16MB")}) {
    argv.push_back(std::move(a));
  }
  process_ = std::make_unique<Process>("postgres", argv, std::getenv("FB_ECHO_POSTGRES") != nullptr);
  if (!process_->wait_for_line("ready to accept connections", std::chrono::seconds(60))) {
    why_ = "postgres did not start: " + process_->output();
    process_.reset();
    return false;
  }
  return true;
}

void PostgresServer::stop() {
  if (!process_) return;
  // SIGINT: fast shutdown (clients disconnected, no checkpoint wait worth having with fsync off).
  process_->signal_until_exit(SIGINT, std::chrono::seconds(10), 3);
  process_.reset();
}

std::string PostgresServer::conninfo(const std::string& database) const {
  return "host=" + dir_.path() + " port=" + std::to_string(port_) + " user=postgres dbname=" + database;
}

PostgresServer* PostgresServer::shared() {
  static std::unique_ptr<PostgresServer> server = [] {
    auto s = std::make_unique<PostgresServer>();
    if (!s->start()) {
      std::cerr << "PostgreSQL test server: " << s->why() << "\n";
      return std::unique_ptr<PostgresServer>();
    }
    return s;
  }();
  return server.get();
}

}  // namespace fb::test
