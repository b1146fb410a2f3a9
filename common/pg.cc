#include "common/pg.h"

#include "common/config.h"

namespace sattva::common {

Pg::Pg(std::string dsn, int connect_timeout_s, std::string application_name)
    : dsn_(std::move(dsn)) {
  if (dsn_.find("connect_timeout") == std::string::npos) {
    dsn_ += " connect_timeout=" + std::to_string(connect_timeout_s);
  }
  if (dsn_.find("application_name") == std::string::npos && !application_name.empty()) {
    dsn_ += " application_name=" + application_name;
  }
}

std::unique_ptr<Pg> Pg::FromConfig(const Config& config, const std::string& application_name) {
  return std::make_unique<Pg>(config.GetString("pg_dsn"),
                              static_cast<int>(config.GetInt("pg_connect_timeout_s")),
                              application_name);
}

pqxx::connection& Pg::Conn() {
  if (conn_ && !conn_->is_open()) conn_.reset();
  if (!conn_) {
    try {
      conn_ = std::make_unique<pqxx::connection>(dsn_);
    } catch (const pqxx::broken_connection& e) {
      std::string msg = e.what();
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      throw PgError("postgres: cannot connect: " + msg);
    }
  }
  return *conn_;
}

void Pg::Run(const std::function<void(pqxx::connection&)>& fn) {
  pqxx::connection& c = Conn();
  try {
    fn(c);
  } catch (const pqxx::broken_connection& e) {
    conn_.reset();
    std::string msg = e.what();
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    throw PgError("postgres: connection lost: " + msg);
  }
}

std::string SqlIsoUtc(const std::string& column, const std::string& alias, bool or_empty) {
  std::string e = "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
  if (or_empty) e = "coalesce(" + e + ", '')";
  return e + " AS " + alias;
}

std::string LikeContains(const std::string& q) {
  std::string out = "%";
  for (char c : q) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  out += '%';
  return out;
}

}  // namespace sattva::common
