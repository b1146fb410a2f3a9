#include "fcgi/streams.h"

#include <cstdlib>
#include <stdexcept>

#include "common/json.h"
#include "common/pg.h"
#include "common/redis_script.h"
#include "common/station_stats.h"
#include "fcgi/http.h"
#include "fcgi/tracks.h"

namespace sattva::fcgi {
namespace {

// The stream's own columns plus its last ended session (the one started last among the ended:
// a stream has at most one open session, and sessions follow each other).
const std::string& Columns() {
  static const std::string kCols =
      "s.id, s.slug, s.title, s.description, s.placeholder_track_id, s.auto_end_enabled, "
      "s.auto_end_timeout_s, s.desired_state, s.public, " +
      common::SqlIsoUtc("s.created_at", "created_at") + ", " +
      common::SqlIsoUtc("s.updated_at", "updated_at") + ", " +
      "coalesce(le.end_reason, '') AS last_end_reason, " +
      common::SqlIsoUtc("le.ended_at", "last_ended_at", true);
  return kCols;
}

const char kLastEnded[] =
    " LEFT JOIN LATERAL (SELECT ss.end_reason, ss.ended_at FROM stream_sessions ss "
    "WHERE ss.stream_id = s.id AND ss.ended_at IS NOT NULL ORDER BY ss.started_at DESC "
    "LIMIT 1) le ON true";

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
  s.last_ended_at = r["last_ended_at"].as<std::string>();
  s.is_public = r["public"].as<bool>();
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
  v["ended_at"] = last_ended_at.empty() ? Json::Value(Json::nullValue) : last_ended_at;
  v["public"] = is_public;
  return v;
}

std::optional<Stream> StreamStore::Find(pqxx::transaction_base& tx, int64_t id, bool lock) {
  pqxx::result r = tx.exec_params("SELECT " + Columns() + " FROM streams s" + kLastEnded +
                                      " WHERE s.id = $1 AND s.deleted_at IS NULL" +
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

std::vector<Stream> StreamStore::List(pqxx::transaction_base& tx, const StreamQuery& q,
                                      int64_t* total) {
  static const std::map<std::string, std::string> kSort = {
      {"id", "s.id"}, {"title", "s.title"}, {"slug", "s.slug"}, {"created_at", "s.created_at"}};
  auto sort = kSort.find(q.sort);
  if (sort == kSort.end()) throw std::invalid_argument("unknown stream sort key: " + q.sort);
  const std::string dir = q.descending ? " DESC" : " ASC";
  const std::string order = sort->second + dir + (q.sort == "id" ? "" : ", s.id" + dir);
  // Filter, count and take the page first; only the page's rows look up their last session.
  // One statement per sort order, prepared: the list is a hot page.
  const std::string name = "streams_list_" + q.sort + (q.descending ? "_desc" : "_asc");
  tx.conn().prepare(
      name,
      "SELECT " + Columns() + ", s.total FROM (SELECT s.*, count(*) OVER () AS total "
      "FROM streams s WHERE s.deleted_at IS NULL "
      "AND ($1 = '' OR s.title ILIKE $1 OR s.slug ILIKE $1) "
      "AND ($2 = '' OR s.desired_state = $2) ORDER BY " + order +
      " LIMIT $3 OFFSET $4) s" + kLastEnded + " ORDER BY " + order);
  const std::string pattern = q.q.empty() ? std::string() : common::LikeContains(q.q);
  pqxx::result r = tx.exec_prepared(name, pattern, q.state, q.per_page,
                                    static_cast<int64_t>(q.page - 1) * q.per_page);
  std::vector<Stream> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(FromRow(row));
  if (!r.empty()) {
    *total = r[0]["total"].as<int64_t>();
  } else if (q.page == 1) {
    *total = 0;
  } else {  // past the last page: how many there are, for the summary
    *total = tx.exec_params1(
                   "SELECT count(*) FROM streams s WHERE s.deleted_at IS NULL "
                   "AND ($1 = '' OR s.title ILIKE $1 OR s.slug ILIKE $1) AND ($2 = '' OR s.desired_state = $2)",
                   pattern, q.state)[0]
                 .as<int64_t>();
  }
  return out;
}

std::map<int64_t, QueueTrack> StreamStore::QueueTracks(pqxx::transaction_base& tx,
                                                       int64_t stream_id,
                                                       const std::vector<int64_t>& track_ids) {
  std::string arr = "{";
  for (size_t i = 0; i < track_ids.size(); ++i) {
    arr += (i ? "," : "") + std::to_string(track_ids[i]);
  }
  arr += "}";
  // Every queue add runs this: the stream check rides along in the same prepared query.
  tx.conn().prepare(
      "queue_add_tracks",
      "SELECT id, title, artist, duration_ms FROM tracks WHERE id = ANY($1::bigint[]) AND "
      "deleted_at IS NULL AND EXISTS (SELECT 1 FROM streams WHERE id = $2 AND deleted_at IS "
      "NULL)");
  std::map<int64_t, QueueTrack> found;
  for (const auto& row : tx.exec_prepared("queue_add_tracks", arr, stream_id)) {
    QueueTrack t;
    t.id = row["id"].as<int64_t>();
    t.title = row["title"].as<std::string>();
    t.artist = row["artist"].as<std::string>();
    if (!row["duration_ms"].is_null()) t.duration_ms = row["duration_ms"].as<int64_t>();
    found[t.id] = t;
  }
  return found;
}

Stream StreamStore::Create(pqxx::transaction_base& tx, const StreamFields& f) {
  const std::optional<int64_t> placeholder = f.placeholder_track_id.value_or(std::nullopt);
  CheckPlaceholder(tx, placeholder);
  try {
    pqxx::result r = tx.exec_params(
        "INSERT INTO streams (slug, title, description, placeholder_track_id, auto_end_enabled, "
        "auto_end_timeout_s, public) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        f.slug.value_or(""), f.title.value_or(""), f.description.value_or(""), placeholder,
        f.auto_end_enabled.value_or(true), f.auto_end_timeout_s.value_or(300),
        f.is_public.value_or(true));
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
        "auto_end_enabled = $6, auto_end_timeout_s = $7, public = $8 WHERE id = $1",
        b.id, f.slug.value_or(b.slug), f.title.value_or(b.title),
        f.description.value_or(b.description), placeholder,
        f.auto_end_enabled.value_or(b.auto_end_enabled),
        f.auto_end_timeout_s.value_or(b.auto_end_timeout_s), f.is_public.value_or(b.is_public));
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


namespace {

// KEYS: per stream, 6 keys: state, listeners, auto_end, queue ids, queue meta, now playing.
// Returns per stream {state, {listeners hash}, zero_since_ms, queue length, version, {now hash}}.
// Read-only: one round trip for a whole page of streams.
constexpr const char* kReadLive = R"lua(
local out = {}
for i = 0, #KEYS / 6 - 1 do
  local k = i * 6
  out[i + 1] = {
    redis.call('GET', KEYS[k + 1]) or '',
    redis.call('HGETALL', KEYS[k + 2]),
    redis.call('HGET', KEYS[k + 3], 'zero_since_ms') or '',
    redis.call('LLEN', KEYS[k + 4]),
    redis.call('HGET', KEYS[k + 5], 'version') or '0',
    redis.call('HGETALL', KEYS[k + 6]),
  }
end
return out
)lua";

int64_t ToInt(const std::string& s) { return s.empty() ? 0 : std::atoll(s.c_str()); }

}  // namespace

std::vector<StreamLive> ReadLiveMany(common::Redis& redis, const std::vector<Stream>& streams) {
  std::vector<StreamLive> out(streams.size());
  if (streams.empty()) return out;
  static common::RedisScript script(kReadLive);
  std::vector<std::string> keys;
  keys.reserve(streams.size() * 6);
  for (const Stream& s : streams) {
    keys.push_back(StreamStateKey(s.id));
    keys.push_back(StreamListenersKey(s.id));
    keys.push_back(common::AutoEndKey(s.id));
    keys.push_back(common::QueueIdsKey(s.id));
    keys.push_back(common::QueueMetaKey(s.id));
    keys.push_back(common::NowPlayingKey(s.id));
  }
  common::RedisReplyPtr r = script.Run(redis, keys, {});
  if (r->type == REDIS_REPLY_ERROR) {
    throw common::RedisError("redis: live read failed: " + std::string(r->str, r->len));
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements != streams.size()) {
    throw common::RedisError("redis: unexpected live read reply");
  }
  for (size_t i = 0; i < streams.size(); ++i) {
    const redisReply* e = r->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 6) {
      throw common::RedisError("redis: unexpected live read reply");
    }
    StreamLive& live = out[i];
    const Stream& s = streams[i];
    live.state = common::ReplyString(e->element[0]);
    if (live.state.empty()) live.state = s.desired_state == "running" ? "starting" : "stopped";
    const redisReply* l = e->element[1];
    for (size_t j = 0; j + 1 < l->elements; j += 2) {
      const std::string k = common::ReplyString(l->element[j]);
      const int64_t v = ToInt(common::ReplyString(l->element[j + 1]));
      if (k == "total") live.listeners = v;
      if (k == "live") live.listeners_live = v;
      if (k == "bridge") live.listeners_bridge = v;
    }
    if (s.desired_state == "running" && s.auto_end_enabled) {
      live.auto_end_zero_since_ms = ToInt(common::ReplyString(e->element[2]));
    }
    live.queue_length = e->element[3]->integer;
    live.queue_version = ToInt(common::ReplyString(e->element[4]));
    const redisReply* n = e->element[5];
    for (size_t j = 0; j + 1 < n->elements; j += 2) {
      const std::string k = common::ReplyString(n->element[j]);
      std::string v = common::ReplyString(n->element[j + 1]);
      if (k == "item") live.now_item = std::move(v);
      if (k == "started_at") live.now_started_at = std::move(v);
      if (k == "position_ms") live.now_position_ms = ToInt(v);
      if (k == "position_at") live.now_position_at_ms = ToInt(v);
    }
  }
  return out;
}

int64_t PlaybackPositionMs(const StreamLive& live, int64_t duration_ms, bool looping,
                           int64_t now_ms) {
  return common::ExtrapolatePositionMs(live.now_position_ms, live.now_position_at_ms,
                                       live.state == "running", duration_ms, looping, now_ms);
}

StreamLive ReadLive(common::Redis& redis, const Stream& s) {
  return ReadLiveMany(redis, {s})[0];
}

AutoEndView AutoEndOf(const Stream& s, const StreamLive& live, int64_t now_ms) {
  AutoEndView v;
  // Armed only while nobody listens. The streamer writes a new listener count a tick before it
  // clears the countdown, so a read between the two would otherwise show both.
  if (live.auto_end_zero_since_ms <= 0 || !s.auto_end_enabled || s.desired_state != "running" ||
      live.listeners > 0) {
    return v;
  }
  v.armed = true;
  v.deadline_ms = live.auto_end_zero_since_ms + s.auto_end_timeout_s * 1000;
  v.seconds_remaining = v.deadline_ms <= now_ms ? 0 : (v.deadline_ms - now_ms + 999) / 1000;
  return v;
}

}  // namespace sattva::fcgi
