#include "tests/support/stack.h"

#include <glob.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <stdexcept>
#include <thread>

#include <pqxx/pqxx>

namespace sattva::testing {
namespace {

using std::chrono::seconds;

std::string PgBinDir() {
  glob_t g;
  std::vector<std::string> dirs;
  if (glob("/usr/lib/postgresql/*/bin/postgres", 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) dirs.push_back(g.gl_pathv[i]);
  }
  globfree(&g);
  if (dirs.empty()) throw std::runtime_error("PostgreSQL server binaries not found");
  std::sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
    return std::stoi(a.substr(20)) < std::stoi(b.substr(20));
  });
  std::string p = dirs.back();
  return p.substr(0, p.rfind('/'));
}

std::string CurrentUser() {
  struct passwd* pw = getpwuid(geteuid());
  return pw ? pw->pw_name : "root";
}

void Replace(std::string* s, const std::string& from, const std::string& to) {
  for (size_t p = s->find(from); p != std::string::npos; p = s->find(from, p + to.size())) {
    s->replace(p, from.size(), to);
  }
}

}  // namespace

std::string Stack::BinDir() { return std::string(SATTVA_BINARY_DIR) + "/bin"; }
std::string Stack::SourceDir() { return SATTVA_SOURCE_DIR; }

std::string Stack::pg_dsn() const {
  return "host=127.0.0.1 port=" + std::to_string(pg_port) + " dbname=sattva user=sattva";
}

Stack::Stack(StackOptions options) : options_(std::move(options)) {
  for (const char* sub : {"/log", "/run", "/redis", "/media", "/nginx"}) {
    mkdir((dir() + sub).c_str(), 0755);
  }
  pg_port = FreePort();
  redis_port = FreePort();
  wsd_port = FreePort();
  streamer_port = FreePort();
  nginx_port = FreePort();
  StartPostgres();
  StartRedis();
  WriteConfig();
  std::string out;
  if (Ctl({"migrate", "--sql-dir", SourceDir() + "/sql"}, &out) != 0) {
    throw std::runtime_error("sattva-ctl migrate failed:\n" + out);
  }
  if (options_.fcgi) StartDaemon("fcgi");
  if (options_.wsd) StartDaemon("wsd");
  if (options_.streamer) StartDaemon("streamer");
  if (options_.nginx) StartNginx();
}

Stack::~Stack() {
  nginx_.Stop(SIGQUIT, seconds(5));
  nginx_.Kill9();
  for (Process* p : {&streamer_, &wsd_, &fcgi_}) {
    if (p->Stop(SIGTERM, seconds(10)) == -1) p->Kill9();
  }
  if (redis_.Stop(SIGTERM, seconds(10)) == -1) redis_.Kill9();
  // SIGINT is PostgreSQL's "fast" shutdown.
  if (pg_.Stop(SIGINT, seconds(20)) == -1) pg_.Kill9();
}

void Stack::StartPostgres() {
  const std::string bin = PgBinDir();
  const std::string data = dir() + "/pg";
  mkdir(data.c_str(), 0700);
  const bool root = geteuid() == 0;
  const std::string user = root ? "postgres" : "";
  if (root) {
    struct passwd* pw = getpwnam("postgres");
    if (pw == nullptr) throw std::runtime_error("no postgres user; is postgresql installed?");
    if (chown(data.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      throw std::runtime_error("cannot chown " + data);
    }
  }
  const std::string log = log_path("postgres");
  if (RunCommand({bin + "/initdb", "-D", data, "-U", "sattva", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync"},
                 log, user) != 0) {
    throw std::runtime_error("initdb failed\n" + Tail(log));
  }
  pg_.Start({bin + "/postgres", "-D", data, "-p", std::to_string(pg_port), "-k", data, "-c",
             "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=200"},
            log, user);
  auto deadline = std::chrono::steady_clock::now() + seconds(30);
  for (;;) {
    try {
      pqxx::connection c("host=127.0.0.1 port=" + std::to_string(pg_port) +
                         " dbname=postgres user=sattva connect_timeout=2");
      pqxx::nontransaction tx(c);
      tx.exec("CREATE DATABASE sattva");
      break;
    } catch (const std::exception& e) {
      if (std::chrono::steady_clock::now() > deadline || !pg_.Running()) {
        throw std::runtime_error(std::string("PostgreSQL did not start: ") + e.what() + "\n" +
                                 Tail(log));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

void Stack::StartRedis() {
  const std::string log = log_path("redis");
  redis_.Start({"/usr/bin/redis-server", "--port", std::to_string(redis_port), "--bind",
                "127.0.0.1", "--dir", dir() + "/redis", "--appendonly", "yes", "--appendfsync",
                "always", "--save", "", "--daemonize", "no", "--protected-mode", "yes"},
               log);
  if (!WaitForPort(redis_port, seconds(20))) {
    throw std::runtime_error("Redis did not start\n" + Tail(log));
  }
  // Ready means answering PONG, not LOADING (it may be reading its AOF after a restart).
  auto client = RedisClient();
  auto deadline = std::chrono::steady_clock::now() + seconds(20);
  for (;;) {
    try {
      auto r = client->Command({"PING"});
      if (r->type == REDIS_REPLY_STATUS && std::string(r->str) == "PONG") break;
    } catch (const std::exception&) {
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("Redis never became ready\n" + Tail(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void Stack::KillRedis() { redis_.Kill9(); }

std::unique_ptr<common::Redis> Stack::RedisClient() const {
  common::RedisOptions o;
  o.port = redis_port;
  o.timeout_ms = 2000;
  return std::make_unique<common::Redis>(o);
}

void Stack::WriteConfig() {
  std::string c;
  c += "log_level = debug\n";
  c += "pg_dsn = " + pg_dsn() + "\n";
  c += "redis_port = " + std::to_string(redis_port) + "\n";
  c += "fcgi_socket = " + fcgi_socket() + "\n";
  c += "fcgi_threads = " + std::to_string(options_.fcgi_threads) + "\n";
  c += "wsd_port = " + std::to_string(wsd_port) + "\n";
  c += "streamer_port = " + std::to_string(streamer_port) + "\n";
  c += "media_dir = " + dir() + "/media\n";
  c += "bridge_dir = " + bridge_dir() + "\n";
  c += "streamer_id = streamer-a\n";
  c += "public_url = http://127.0.0.1:" + std::to_string(nginx_port) + "\n";
  c += "templates_dir = " + SourceDir() + "/templates\n";
  for (const auto& l : options_.extra_config) c += l + "\n";
  WriteFile(config_path(), c);
}

int Stack::Ctl(const std::vector<std::string>& args, std::string* output) {
  const std::string log = dir() + "/log/ctl-" + std::to_string(getpid()) + ".out";
  unlink(log.c_str());
  std::vector<std::string> argv = {BinDir() + "/sattva-ctl", "--config", config_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  int rc = RunCommand(argv, log);
  if (output != nullptr) *output = ReadFile(log);
  return rc;
}

std::string Stack::CreateAdmin(const std::string& email) {
  std::string out;
  const int rc = Ctl({"create-admin", "--email", email}, &out);
  const auto p = out.find("password: ");
  if (rc != 0 || p == std::string::npos) {
    throw std::runtime_error("sattva-ctl create-admin " + email + " failed:\n" + out);
  }
  const auto e = out.find('\n', p);
  return out.substr(p + 10, e == std::string::npos ? std::string::npos : e - p - 10);
}

void Stack::StartDaemon(const std::string& name) {
  Process* p = name == "fcgi" ? &fcgi_ : name == "wsd" ? &wsd_ : &streamer_;
  if (p->Running() && p->Stop(SIGTERM, seconds(10)) == -1) p->Kill9();
  const std::string log = log_path(name);
  p->Start({BinDir() + "/sattva-" + name, "--config", config_path()}, log);
  bool up = name == "fcgi"       ? WaitForUnixSocket(fcgi_socket(), seconds(30))
            : name == "wsd"      ? WaitForPort(wsd_port, seconds(30))
                                 : WaitForPort(streamer_port, seconds(30));
  if (!up || !p->Running()) throw std::runtime_error("sattva-" + name + " did not start\n" + Tail(log));
}

std::unique_ptr<Process> Stack::StartExtraStreamer(const std::string& id, int* port) {
  const int p = FreePort();
  auto proc = std::make_unique<Process>();
  const std::string log = log_path("streamer-" + id);
  proc->Start({BinDir() + "/sattva-streamer", "--config", config_path(), "--set",
               "streamer_port=" + std::to_string(p), "--set", "streamer_id=" + id},
              log);
  if (!WaitForPort(p, seconds(30)) || !proc->Running()) {
    throw std::runtime_error("the extra sattva-streamer did not start\n" + Tail(log));
  }
  if (port != nullptr) *port = p;
  return proc;
}

void Stack::StartNginx() {
  std::string conf = ReadFile(SourceDir() + "/nginx/nginx.conf.template");
  if (conf.empty()) throw std::runtime_error("nginx/nginx.conf.template is missing");
  const std::string prefix = dir() + "/nginx";
  Replace(&conf, "@PREFIX@", prefix);
  Replace(&conf, "@PID_FILE@", dir() + "/run/nginx.pid");
  Replace(&conf, "@ERROR_LOG@", log_path("nginx-error"));
  Replace(&conf, "@ACCESS_LOG@", log_path("nginx-access"));
  Replace(&conf, "@USER@", CurrentUser());
  Replace(&conf, "@LISTEN@", "127.0.0.1:" + std::to_string(nginx_port));
  Replace(&conf, "@STATIC_ROOT@", SourceDir() + "/static");
  Replace(&conf, "@FCGI_PASS@", "unix:" + fcgi_socket());
  Replace(&conf, "@WSD_ADDR@", "127.0.0.1:" + std::to_string(wsd_port));
  Replace(&conf, "@STREAMER_ADDR@", "127.0.0.1:" + std::to_string(streamer_port));
  Replace(&conf, "@MAX_BODY@", "1m");
  Replace(&conf, "@MAX_UPLOAD@", "2m");
  Replace(&conf, "@MEDIA_ROOT@", dir() + "/media");
  // The fixture owns nginx's lifetime by pid: keep the master in the foreground.
  Replace(&conf, "\ndaemon on;", "\ndaemon off;");
  std::smatch left;
  if (std::regex_search(conf, left, std::regex("@[A-Z_]+@"))) {
    throw std::runtime_error("unrendered nginx placeholder " + left.str());
  }
  const std::string path = prefix + "/nginx.conf";
  WriteFile(path, conf);
  const std::string log = log_path("nginx-error");
  nginx_.Start({"/usr/sbin/nginx", "-p", prefix, "-c", path, "-e", log}, log);
  if (!WaitForPort(nginx_port, seconds(20)) || !nginx_.Running()) {
    throw std::runtime_error("nginx did not start\n" + Tail(log));
  }
}

StackOptions StreamerTestOptions() {
  StackOptions o;
  o.wsd = false;
  o.extra_config = {"login_ip_limit = 100000", "streamer_lease_ttl_ms = 1500",
                    "streamer_reconcile_ms = 250"};
  return o;
}

}  // namespace sattva::testing
