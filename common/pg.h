#pragma once
// One PostgreSQL connection (libpqxx 6.4), made lazily and remade after it breaks, so a
// PostgreSQL restart heals without a process restart. libpqxx connections are not thread-safe:
// give each thread its own Pg. Not thread-safe.

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include <pqxx/pqxx>

namespace sattva::common {

class Config;

class PgError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Pg {
 public:
  // `dsn` is a libpq connection string; connect_timeout is added when it has none.
  Pg(std::string dsn, int connect_timeout_s, std::string application_name);
  static std::unique_ptr<Pg> FromConfig(const Config& config, const std::string& application_name);
  Pg(const Pg&) = delete;
  Pg& operator=(const Pg&) = delete;

  // The live connection, connecting first if needed. Throws PgError when PostgreSQL cannot be
  // reached.
  pqxx::connection& Conn();
  // Runs `fn` with the connection. A broken connection is dropped (the next call reconnects)
  // and reported as PgError; other pqxx errors propagate unchanged.
  void Run(const std::function<void(pqxx::connection&)>& fn);
  void Disconnect() { conn_.reset(); }

 private:
  std::string dsn_;
  std::unique_ptr<pqxx::connection> conn_;
};

// SQL for a timestamptz column as ISO-8601 UTC with milliseconds ("2026-11-25T20:30:00.123Z"),
// named `alias`; with `or_empty`, NULL becomes ''.
std::string SqlIsoUtc(const std::string& column, const std::string& alias, bool or_empty = false);
// A LIKE/ILIKE pattern matching `q` anywhere, with %, _ and \ in `q` taken literally.
std::string LikeContains(const std::string& q);

}  // namespace sattva::common
