#pragma once
// The whole Sattva stack for integration tests, on ephemeral ports in a temp dir: real
// PostgreSQL, Redis and nginx from Debian packages plus the three daemons from this build.
// Every process is started here and stopped here, by pid.

#include <memory>
#include <string>
#include <vector>

#include "common/redis.h"
#include "tests/support/process.h"

namespace sattva::testing {

struct StackOptions {
  bool fcgi = true;
  bool wsd = true;
  bool streamer = true;
  bool nginx = true;
  int fcgi_threads = 4;
  std::vector<std::string> extra_config;  // "key = value" lines appended to sattva.conf
};

// A stack for tests that drive the streamer through the API: no wsd, logins unlimited, and a
// short lease and reconcile period so start, stop and failover take a fraction of a second.
StackOptions StreamerTestOptions();

class Stack {
 public:
  // Starts everything; throws std::runtime_error with the relevant log tail on failure.
  explicit Stack(StackOptions options = {});
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  const std::string& dir() const { return tmp_.path(); }
  std::string config_path() const { return dir() + "/sattva.conf"; }
  std::string fcgi_socket() const { return dir() + "/run/fcgi.sock"; }
  std::string log_path(const std::string& name) const { return dir() + "/log/" + name + ".log"; }
  std::string pg_dsn() const;

  int nginx_port = 0;
  int wsd_port = 0;
  int streamer_port = 0;
  int redis_port = 0;
  int pg_port = 0;

  Process& fcgi() { return fcgi_; }
  Process& wsd() { return wsd_; }
  Process& streamer() { return streamer_; }
  Process& redis() { return redis_; }

  // Redis control for outage tests: kill -9 and start again on the same port and data dir.
  void KillRedis();
  void StartRedis();
  // A Redis client to the stack's Redis.
  std::unique_ptr<common::Redis> RedisClient() const;
  // Runs sattva-ctl with the stack's config; returns the exit code, output in *output.
  int Ctl(const std::vector<std::string>& args, std::string* output = nullptr);
  // Creates an admin with sattva-ctl and returns the generated password; throws
  // std::runtime_error (with sattva-ctl's output) when that fails.
  std::string CreateAdmin(const std::string& email);
  // Starts (or restarts) one daemon: "fcgi", "wsd" or "streamer".
  void StartDaemon(const std::string& name);
  // Starts one more sattva-streamer with its own id and a free port (for failover tests),
  // logging to log/streamer-<id>.log. The caller owns the process. *port gets its port.
  std::unique_ptr<Process> StartExtraStreamer(const std::string& id, int* port = nullptr);
  // Where the streams' bridge sockets are: <bridge_dir>/<slug>.sock.
  std::string bridge_dir() const { return dir() + "/bridge"; }

  static std::string BinDir();
  static std::string SourceDir();

 private:
  void StartPostgres();
  void StartNginx();
  void WriteConfig();

  StackOptions options_;
  TempDir tmp_;
  Process pg_, redis_, fcgi_, wsd_, streamer_, nginx_;
};

}  // namespace sattva::testing
