#include "fcgi/streams.h"

#include "common/json.h"
#include "common/pg.h"
#include "fcgi/http.h"
#include "fcgi/tracks.h"

namespace sattva::fcgi {
namespace {

const std::string& Columns() {
  static const std::string kCols =
      "s.id, s.slug, s.title, s.description, s.placeholder_track_id, s.auto_end_enabled, "
      "s.auto_end_timeout_s, s.desired_state, "
      + common::SqlIsoUtc("s.created_at", "created_at") + ", " +
      common::SqlIsoUtc("s.updated_at", "updated_at") + ", " +
      "coalesce((SELECT end_reason FROM stream_sessions ss WHERE ss.stream_id = s.id AND "
      "ss.ended_at IS NOT NULL ORDER BY ss.ended_at DESC LIMIT 1), '') AS last_end_reason";
  return kCols;
}

Stream FromRow(const pqxx::row& r) {
  Stream s;
  s.id = r["id"].as<int64_t>();
  s.slug = r["slug"].as<std::string>();
  s.title = r["title"].as<std::string>();
  s.description = r["description"].as<std::string>();
  if (!r["placeholder_track_id"].is_null()) {
    s.placeholder_track_id = r["placeholder_track_id"].as<int64_t>();
  }
  s.auto_end_enabled = r["auto_end_enabled"].as<bool>();
  s.auto_end_timeout_s = r["auto_end_timeout_s"].as<int64_t>();
  s.desired_state = r["desired_state"].as<std::string>();
  s.created_at = r["created_at"].as<std::string>();
  s.updated_at = r["updated_at"].as<std::string>();
  s.last_end_reason = r["last_end_reason"].as<std::string>();
  return s;
}

void CheckPlaceholder(pqxx::transaction_base& tx, const std::optional<int64_t>& id) {
  if (!id) return;
  // A share lock: a concurrent DELETE of the track waits for this transaction, and then sees
  // the track in use.
  if (!TrackStore::FindLive(tx, *id, TrackLock::kShare)) {
    throw HttpError(422, "validation_failed",
                    "placeholder_track_id " + std::to_string(*id) + " is not a live track");
  }
}

}  // namespace

Json::Value Stream::ToJson() const {
  Json::Value v(Json::objectValue);
  v["id"] = common::JsonInt(id);
  v["slug"] = slug;
  v["title"] = title;
  v["description"] = description;
  v["placeholder_track_id"] =
      placeholder_track_id ? common::JsonInt(*placeholder_track_id) : Json::Value(Json::nullValue);
  v["auto_end_enabled"] = auto_end_enabled;
  v["auto_end_timeout_s"] = common::JsonInt(auto_end_timeout_s);
  v["desired_state"] = desired_state;
  v["created_at"] = created_at;
  v["updated_at"] = updated_at;
  v["end_reason"] = last_end_reason.empty() ? Json::Value(Json::nullValue) : last_end_reason;
  return v;
}

std::optional<Stream> StreamStore::Find(pqxx::transaction_base& tx, int64_t id, bool lock) {
  pqxx::result r = tx.exec_params("SELECT " + Columns() +
                                      " FROM streams s WHERE s.id = $1 AND s.deleted_at IS NULL" +
                                      (lock ? " FOR UPDATE OF s" : ""),
                                  id);
  if (r.empty()) return std::nullopt;
  return FromRow(r[0]);
}

bool StreamStore::IsLive(pqxx::transaction_base& tx, int64_t id) {
  tx.conn().prepare("streams_is_live",
                    "SELECT 1 FROM streams WHERE id = $1 AND deleted_at IS NULL");
  return !tx.exec_prepared("streams_is_live", id).empty();
}

std::vector<Stream> StreamStore::List(pqxx::transaction_base& tx, int page, int per_page,
                                      int64_t* total) {
  pqxx::result r = tx.exec_params("SELECT " + Columns() +
                                      ", count(*) OVER () AS total FROM streams s "
                                      "WHERE s.deleted_at IS NULL ORDER BY s.id LIMIT $1 OFFSET $2",
                                  per_page, static_cast<int64_t>(page - 1) * per_page);
  std::vector<Stream> out;
  for (const auto& row : r) out.push_back(FromRow(row));
  *total = r.empty() ? tx.exec1("SELECT count(*) FROM streams WHERE deleted_at IS NULL")[0]
                           .as<int64_t>()
                     : r[0]["total"].as<int64_t>();
  return out;
}

Stream StreamStore::Create(pqxx::transaction_base& tx, const StreamFields& f) {
  const std::optional<int64_t> placeholder = f.placeholder_track_id.value_or(std::nullopt);
  CheckPlaceholder(tx, placeholder);
  try {
    pqxx::result r = tx.exec_params(
        "INSERT INTO streams (slug, title, description, placeholder_track_id, auto_end_enabled, "
        "auto_end_timeout_s) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        f.slug.value_or(""), f.title.value_or(""), f.description.value_or(""), placeholder,
        f.auto_end_enabled.value_or(true), f.auto_end_timeout_s.value_or(300));
    return *Find(tx, r[0][0].as<int64_t>());
  } catch (const pqxx::unique_violation&) {
    throw HttpError(409, "conflict", "a stream with slug '" + f.slug.value_or("") + "' exists");
  }
}

Stream StreamStore::Update(pqxx::transaction_base& tx, const Stream& b, const StreamFields& f) {
  const std::optional<int64_t> placeholder =
      f.placeholder_track_id ? *f.placeholder_track_id : b.placeholder_track_id;
  if (f.placeholder_track_id) CheckPlaceholder(tx, placeholder);
  try {
    tx.exec_params(
        "UPDATE streams SET slug = $2, title = $3, description = $4, placeholder_track_id = $5, "
        "auto_end_enabled = $6, auto_end_timeout_s = $7 WHERE id = $1",
        b.id, f.slug.value_or(b.slug), f.title.value_or(b.title),
        f.description.value_or(b.description), placeholder,
        f.auto_end_enabled.value_or(b.auto_end_enabled),
        f.auto_end_timeout_s.value_or(b.auto_end_timeout_s));
  } catch (const pqxx::unique_violation&) {
    throw HttpError(409, "conflict", "a stream with slug '" + f.slug.value_or("") + "' exists");
  }
  return *Find(tx, b.id);
}

void StreamStore::SoftDelete(pqxx::transaction_base& tx, int64_t id) {
  tx.exec_params(
      "UPDATE streams SET deleted_at = now(), desired_state = 'stopped' WHERE id = $1", id);
}

void StreamStore::SetDesiredState(pqxx::transaction_base& tx, int64_t id,
                                  const std::string& state) {
  tx.exec_params("UPDATE streams SET desired_state = $2 WHERE id = $1", id, state);
}

bool StreamStore::EndOpenSession(pqxx::transaction_base& tx, int64_t id, const std::string& reason,
                                 std::optional<int64_t> actor) {
  pqxx::result r = tx.exec_params(
      "UPDATE stream_sessions SET ended_at = now(), end_reason = $2, ended_by = $3 "
      "WHERE stream_id = $1 AND ended_at IS NULL",
      id, reason, actor);
  return r.affected_rows() > 0;
}


StreamLive ReadLive(common::Redis& redis, const Stream& s) {
  StreamLive live;
  common::RedisReplyPtr st = redis.Checked({"GET", StreamStateKey(s.id)});
  live.state = common::ReplyString(st.get());
  if (live.state.empty()) live.state = s.desired_state == "running" ? "starting" : "stopped";
  common::RedisReplyPtr l = redis.Checked({"HGET", StreamListenersKey(s.id), "total"});
  if (l->type == REDIS_REPLY_STRING) live.listeners = std::atoll(l->str);
  if (s.desired_state == "running" && s.auto_end_enabled) {
    common::RedisReplyPtr a = redis.Checked({"HGET", common::AutoEndKey(s.id), "zero_since_ms"});
    if (a->type == REDIS_REPLY_STRING) live.auto_end_zero_since_ms = std::atoll(a->str);
  }
  return live;
}

}  // namespace sattva::fcgi
