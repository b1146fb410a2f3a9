#pragma once
// The audit log: one row per mutating action, in the same transaction as the change.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <json/json.h>
#include <pqxx/pqxx>

namespace sattva::fcgi {

struct AuditEntry {
  std::optional<int64_t> actor_user_id;
  std::string actor_label;  // the actor's email, or "system", or a token name
  std::string action;       // "user.update", "auth.login", "auth.login_failed", ...
  std::string target_type;  // "user", "token", "stream", ... ("" for none)
  std::string target_id;
  Json::Value changes{Json::objectValue};
  std::string ip;
  std::string user_agent;
};

struct AuditQuery {
  std::optional<int64_t> actor_user_id;
  std::string action;       // exact, or a prefix ending in '.' ("user.")
  std::string target_type;
  std::string target_id;
  std::string since;        // ISO-8601, inclusive
  std::string until;        // ISO-8601, exclusive
  int page = 1;
  int per_page = 50;        // 1..200
};

struct AuditRow {
  int64_t id = 0;
  AuditEntry entry;
  std::string created_at;
  Json::Value ToJson() const;
};

class AuditLog {
 public:
  static void Write(pqxx::transaction_base& tx, const AuditEntry& e);
  // Rows newest first, and the total count. Throws HttpError 422 for an unparseable time.
  static std::vector<AuditRow> List(pqxx::transaction_base& tx, const AuditQuery& q,
                                    int64_t* total);
  // Every row List would show for `q` (same filters, newest first; paging ignored), read
  // through a server-side cursor (exports). `fn` returning false stops. Throws HttpError 422
  // for an unparseable time.
  static void ForEach(pqxx::transaction_base& tx, const AuditQuery& q,
                      const std::function<bool(const AuditRow&)>& fn);
  // Throws HttpError 422 when q.since or q.until is not an ISO-8601 date or time.
  static void CheckTimes(const AuditQuery& q);
};

}  // namespace sattva::fcgi
