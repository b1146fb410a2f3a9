#include "fcgi/audit.h"

#include <regex>

#include "common/json.h"
#include "common/pg.h"
#include "fcgi/http.h"
#include "fcgi/pg_cursor.h"

namespace sattva::fcgi {

void AuditLog::Write(pqxx::transaction_base& tx, const AuditEntry& e) {
  // An IP that is not a valid inet (or empty) is stored as NULL rather than failing the action.
  tx.conn().prepare(
      "audit_log_write",
      "INSERT INTO audit_log (actor_user_id, actor_label, action, target_type, target_id, "
      "changes, ip, user_agent) VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, ''), $6::jsonb, "
      "CASE WHEN $7 ~ '^[0-9a-fA-F.:]+$' THEN $7::inet END, NULLIF($8, ''))");
  tx.exec_prepared(
      "audit_log_write",
      e.actor_user_id, e.actor_label.substr(0, 300), e.action, e.target_type, e.target_id,
      common::WriteJson(e.changes.isObject() ? e.changes : Json::Value(Json::objectValue)), e.ip,
      e.user_agent.substr(0, 500));
}

Json::Value AuditRow::ToJson() const {
  Json::Value v(Json::objectValue);
  v["id"] = common::JsonInt(id);
  v["actor_user_id"] =
      entry.actor_user_id ? common::JsonInt(*entry.actor_user_id) : Json::Value(Json::nullValue);
  v["actor"] = entry.actor_label;
  v["action"] = entry.action;
  v["target_type"] = entry.target_type.empty() ? Json::Value(Json::nullValue) : entry.target_type;
  v["target_id"] = entry.target_id.empty() ? Json::Value(Json::nullValue) : entry.target_id;
  v["changes"] = entry.changes;
  v["ip"] = entry.ip.empty() ? Json::Value(Json::nullValue) : entry.ip;
  v["user_agent"] = entry.user_agent.empty() ? Json::Value(Json::nullValue) : entry.user_agent;
  v["created_at"] = created_at;
  return v;
}

namespace {

// The list's WHERE over its seven values given as SQL (placeholders or quoted literals):
// actor id, action, action-is-a-prefix, target type, target id, since, until.
std::string AuditWhere(const std::vector<std::string>& v) {
  return " WHERE (" + v[0] + "::bigint IS NULL OR actor_user_id = " + v[0] + ")"
         " AND (" + v[1] + " = '' OR (CASE WHEN " + v[2] + " THEN left(action, length(" + v[1] +
         ")) = " + v[1] + " ELSE action = " + v[1] + " END))"
         " AND (" + v[3] + " = '' OR target_type = " + v[3] + ")"
         " AND (" + v[4] + " = '' OR target_id = " + v[4] + ")"
         " AND (" + v[5] + " = '' OR created_at >= " + v[5] + "::timestamptz)"
         " AND (" + v[6] + " = '' OR created_at < " + v[6] + "::timestamptz)";
}

const char* kAuditColumns =
    "id, actor_user_id, actor_label, action, coalesce(target_type, '') AS target_type, "
    "coalesce(target_id, '') AS target_id, changes::text AS changes, "
    "coalesce(host(ip), '') AS ip, coalesce(user_agent, '') AS user_agent, ";

AuditRow AuditFromRow(const pqxx::row& row) {
  AuditRow a;
  a.id = row["id"].as<int64_t>();
  if (!row["actor_user_id"].is_null()) a.entry.actor_user_id = row["actor_user_id"].as<int64_t>();
  a.entry.actor_label = row["actor_label"].as<std::string>();
  a.entry.action = row["action"].as<std::string>();
  a.entry.target_type = row["target_type"].as<std::string>();
  a.entry.target_id = row["target_id"].as<std::string>();
  std::string err;
  common::ParseJson(row["changes"].as<std::string>(), &a.entry.changes, &err);
  a.entry.ip = row["ip"].as<std::string>();
  a.entry.user_agent = row["user_agent"].as<std::string>();
  a.created_at = row["created_at"].as<std::string>();
  return a;
}

}  // namespace

void AuditLog::CheckTimes(const AuditQuery& q) {
  // ISO-8601 dates or date-times ("2026-11-25", "2026-11-25T20:30", "...:00.123Z", "+03:00").
  static const std::regex kTime(
      R"(^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$)");
  for (const auto& [value, name] : {std::pair{&q.since, "since"}, std::pair{&q.until, "until"}}) {
    if (!value->empty() && !std::regex_match(*value, kTime)) {
      throw HttpError(422, "validation_failed",
                      std::string(name) + " is not an ISO-8601 date or time: '" + *value + "'");
    }
  }
}

void AuditLog::ForEach(pqxx::transaction_base& tx, const AuditQuery& q,
                       const std::function<bool(const AuditRow&)>& fn) {
  CheckTimes(q);
  const bool prefix = !q.action.empty() && q.action.back() == '.';
  const std::string where = AuditWhere(
      {q.actor_user_id ? tx.quote(*q.actor_user_id) : std::string("NULL"), tx.quote(q.action),
       prefix ? "true" : "false", tx.quote(q.target_type), tx.quote(q.target_id),
       // Literals are folded when the query is planned, so an empty time would fail its cast
       // even where it is never compared: no bound is an infinite one.
       q.since.empty() ? "'-infinity'" : tx.quote(q.since),
       q.until.empty() ? "'infinity'" : tx.quote(q.until)});
  ForEachRow(tx,
             std::string("SELECT ") + kAuditColumns +
                 common::SqlIsoUtc("created_at", "created_at") + " FROM audit_log" + where +
                 " ORDER BY created_at DESC, id DESC",
             [&](const pqxx::row& r) { return fn(AuditFromRow(r)); });
}

std::vector<AuditRow> AuditLog::List(pqxx::transaction_base& tx, const AuditQuery& q,
                                     int64_t* total) {
  CheckTimes(q);
  const bool prefix = !q.action.empty() && q.action.back() == '.';
  const std::string where = AuditWhere({"$1", "$2", "$3", "$4", "$5", "$6", "$7"});
  const int per_page = q.per_page < 1 ? 1 : (q.per_page > 200 ? 200 : q.per_page);
  const int64_t offset = static_cast<int64_t>(q.page < 1 ? 0 : q.page - 1) * per_page;
  pqxx::result r = tx.exec_params(
      std::string("SELECT ") + kAuditColumns + common::SqlIsoUtc("created_at", "created_at") +
          ", count(*) OVER () AS total FROM audit_log" +
          where + " ORDER BY created_at DESC, id DESC LIMIT $8 OFFSET $9",
      q.actor_user_id, q.action, prefix, q.target_type, q.target_id, q.since, q.until, per_page,
      offset);
  std::vector<AuditRow> out;
  for (const auto& row : r) out.push_back(AuditFromRow(row));
  if (!r.empty()) {
    *total = r[0]["total"].as<int64_t>();
  } else {
    *total = tx.exec_params1("SELECT count(*) FROM audit_log" + where, q.actor_user_id, q.action,
                             prefix, q.target_type, q.target_id, q.since, q.until)[0]
                 .as<int64_t>();
  }
  return out;
}

}  // namespace sattva::fcgi
