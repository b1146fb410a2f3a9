#include "fcgi/audit.h"

#include <regex>

#include "common/json.h"
#include "common/pg.h"
#include "fcgi/http.h"

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

std::vector<AuditRow> AuditLog::List(pqxx::transaction_base& tx, const AuditQuery& q,
                                     int64_t* total) {
  // ISO-8601 dates or date-times ("2026-11-25", "2026-11-25T20:30", "...:00.123Z", "+03:00").
  static const std::regex kTime(
      R"(^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$)");
  for (const auto& [value, name] : {std::pair{&q.since, "since"}, std::pair{&q.until, "until"}}) {
    if (!value->empty() && !std::regex_match(*value, kTime)) {
      throw HttpError(422, "validation_failed",
                      std::string(name) + " is not an ISO-8601 date or time: '" + *value + "'");
    }
  }
  const bool prefix = !q.action.empty() && q.action.back() == '.';
  const std::string where =
      " WHERE ($1::bigint IS NULL OR actor_user_id = $1)"
      " AND ($2 = '' OR (CASE WHEN $3 THEN left(action, length($2)) = $2 ELSE action = $2 END))"
      " AND ($4 = '' OR target_type = $4)"
      " AND ($5 = '' OR target_id = $5)"
      " AND ($6 = '' OR created_at >= $6::timestamptz)"
      " AND ($7 = '' OR created_at < $7::timestamptz)";
  const int per_page = q.per_page < 1 ? 1 : (q.per_page > 200 ? 200 : q.per_page);
  const int64_t offset = static_cast<int64_t>(q.page < 1 ? 0 : q.page - 1) * per_page;
  pqxx::result r = tx.exec_params(
      "SELECT id, actor_user_id, actor_label, action, coalesce(target_type, '') AS target_type, "
      "coalesce(target_id, '') AS target_id, changes::text AS changes, "
      "coalesce(host(ip), '') AS ip, coalesce(user_agent, '') AS user_agent, "
      + common::SqlIsoUtc("created_at", "created_at") +
          ", count(*) OVER () AS total FROM audit_log" +
          where + " ORDER BY created_at DESC, id DESC LIMIT $8 OFFSET $9",
      q.actor_user_id, q.action, prefix, q.target_type, q.target_id, q.since, q.until, per_page,
      offset);
  std::vector<AuditRow> out;
  for (const auto& row : r) {
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
    out.push_back(std::move(a));
  }
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
