#include "fcgi/history.h"

#include <algorithm>
#include <regex>

#include "common/json.h"
#include "common/pg.h"
#include "fcgi/admin/views.h"
#include "fcgi/pg_cursor.h"

namespace sattva::fcgi {
namespace {

// The columns of a play, joined to its track and the user who queued it.
std::string PlayColumns() {
  return "h.id, h.session_id, h.track_id, coalesce(h.queue_item_id, '') AS queue_item_id, "
         "coalesce(t.title, '') AS title, coalesce(t.artist, '') AS artist, "
         "h.queued_by, coalesce(nullif(u.display_name, ''), u.email, '') AS queued_by_name, " +
         common::SqlIsoUtc("h.started_at", "started_at") + ", " +
         common::SqlIsoUtc("h.ended_at", "ended_at", true) +
         ", (extract(epoch FROM h.ended_at - h.started_at) * 1000)::bigint AS played_ms, "
         "coalesce(h.end_reason, '') AS end_reason, coalesce(h.error, '') AS error";
}

const char* kPlayFrom =
    " FROM play_history h LEFT JOIN tracks t ON t.id = h.track_id "
    "LEFT JOIN users u ON u.id = h.queued_by";

// The WHERE over stream id, since, until and status given as SQL (placeholders or literals).
std::string PlayWhere(const std::string& sid, const std::string& since, const std::string& until,
                      const std::string& status) {
  return " WHERE h.stream_id = " + sid + " AND (" + since + " = '' OR h.started_at >= " + since +
         "::timestamptz) AND (" + until + " = '' OR h.started_at < " + until +
         "::timestamptz) AND (" + status + " = '' OR h.end_reason = " + status + ")";
}

std::optional<int64_t> OptInt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<int64_t>();
}

PlayRecord PlayFromRow(const pqxx::row& r) {
  PlayRecord p;
  p.id = r["id"].as<int64_t>();
  p.session_id = OptInt(r["session_id"]);
  p.track_id = OptInt(r["track_id"]);
  p.queue_item_id = r["queue_item_id"].as<std::string>();
  p.title = r["title"].as<std::string>();
  p.artist = r["artist"].as<std::string>();
  p.queued_by_id = OptInt(r["queued_by"]);
  p.queued_by_name = r["queued_by_name"].as<std::string>();
  p.started_at = r["started_at"].as<std::string>();
  p.ended_at = r["ended_at"].as<std::string>();
  p.played_ms = OptInt(r["played_ms"]);
  p.end_reason = r["end_reason"].as<std::string>();
  p.error = r["error"].as<std::string>();
  return p;
}

void CheckQuery(const std::string& status) {
  const auto& reasons = PlayEndReasons();
  if (!status.empty() && std::find(reasons.begin(), reasons.end(), status) == reasons.end()) {
    throw HttpError(422, "validation_failed",
                    "status must be finished, skipped, error or stopped");
  }
}

Json::Value NullOr(const std::string& s) {
  return s.empty() ? Json::Value(Json::nullValue) : Json::Value(s);
}

bool LeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// The total a page of `shown` rows reports. Nothing is counted when page 1 holds every row;
// otherwise `count(limit)` counts, stopping after `limit` rows when count_cap > 0 (limit =
// count_cap + 1, so a total above count_cap means "more than count_cap"), exactly when limit 0.
int64_t PageTotal(size_t shown, int page, int per_page, int64_t count_cap,
                  const std::function<int64_t(int64_t limit)>& count) {
  if (shown > 0 && page <= 1 && static_cast<int>(shown) < per_page) {
    return static_cast<int64_t>(shown);
  }
  return count(count_cap > 0 ? count_cap + 1 : 0);
}

}  // namespace

const std::vector<std::string>& PlayEndReasons() {
  static const std::vector<std::string> kReasons = {"finished", "skipped", "error", "stopped"};
  return kReasons;
}

Json::Value PlayRecord::ToJson() const {
  Json::Value v(Json::objectValue);
  v["id"] = common::JsonInt(id);
  v["session_id"] = session_id ? common::JsonInt(*session_id) : Json::Value(Json::nullValue);
  if (track_id || !title.empty()) {
    Json::Value t(Json::objectValue);
    t["id"] = track_id ? common::JsonInt(*track_id) : Json::Value(Json::nullValue);
    t["title"] = title;
    t["artist"] = artist;
    v["track"] = t;
  } else {
    v["track"] = Json::Value(Json::nullValue);
  }
  v["queue_item_id"] = NullOr(queue_item_id);
  if (queued_by_id) {
    Json::Value u(Json::objectValue);
    u["id"] = common::JsonInt(*queued_by_id);
    u["name"] = queued_by_name;
    v["queued_by"] = u;
  } else {
    v["queued_by"] = Json::Value(Json::nullValue);
  }
  v["started_at"] = started_at;
  v["ended_at"] = NullOr(ended_at);
  v["played_ms"] = played_ms ? common::JsonInt(*played_ms) : Json::Value(Json::nullValue);
  v["end_reason"] = NullOr(end_reason);
  v["error"] = NullOr(error);
  return v;
}

Json::Value SessionRecord::ToJson() const {
  Json::Value v(Json::objectValue);
  v["id"] = common::JsonInt(id);
  v["started_at"] = started_at;
  v["ended_at"] = NullOr(ended_at);
  v["end_reason"] = NullOr(end_reason);
  v["end_detail"] = NullOr(end_detail);
  if (ended_by_id) {
    Json::Value u(Json::objectValue);
    u["id"] = common::JsonInt(*ended_by_id);
    u["name"] = ended_by_name;
    v["ended_by"] = u;
  } else {
    v["ended_by"] = Json::Value(Json::nullValue);
  }
  v["peak_listeners"] = common::JsonInt(peak_listeners);
  v["tracks_played"] = common::JsonInt(tracks_played);
  return v;
}

std::optional<std::string> ParseTimestamp(const std::string& text) {
  static const std::regex kTime(
      R"(^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-](\d{2})(?::?(\d{2}))?)?)?$)");
  std::smatch m;
  if (text.size() > 40 || !std::regex_match(text, m, kTime)) return std::nullopt;
  const int y = std::stoi(m[1]), mo = std::stoi(m[2]), d = std::stoi(m[3]);
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return std::nullopt;
  if (d > kDays[mo - 1] + (mo == 2 && LeapYear(y) ? 1 : 0)) return std::nullopt;
  if (m[4].matched) {
    if (std::stoi(m[4]) > 23 || std::stoi(m[5]) > 59) return std::nullopt;
    if (m[6].matched && std::stoi(m[6]) > 59) return std::nullopt;
    if (m[8].matched && std::stoi(m[8]) > 14) return std::nullopt;
    if (m[9].matched && std::stoi(m[9]) > 59) return std::nullopt;
  }
  std::string out = text;
  if (!m[4].matched) out += "T00:00:00";
  if (!m[7].matched) out += "Z";  // no zone: UTC, whatever the server's time zone
  return out;
}

bool HistoryStore::StreamExists(pqxx::transaction_base& tx, int64_t stream_id) {
  tx.conn().prepare("history_stream_exists",
                    "SELECT 1 FROM streams WHERE id = $1 AND deleted_at IS NULL");
  return !tx.exec_prepared("history_stream_exists", stream_id).empty();
}

std::vector<PlayRecord> HistoryStore::List(pqxx::transaction_base& tx, const HistoryQuery& q,
                                           int64_t* total, int64_t count_cap) {
  CheckQuery(q.status);
  const int per_page = std::clamp(q.per_page, 1, 100);
  const int64_t offset = static_cast<int64_t>(std::max(q.page, 1) - 1) * per_page;
  const std::string where = PlayWhere("$1", "$2", "$3", "$4");
  // The page is taken from the index on (stream_id, started_at DESC) first; only its rows are
  // joined and formatted.
  tx.conn().prepare(
      "history_list",
      "SELECT " + PlayColumns() + kPlayFrom +
          " JOIN (SELECT h.id FROM play_history h" + where +
          " ORDER BY h.started_at DESC, h.id DESC LIMIT $5 OFFSET $6) p ON p.id = h.id"
          " ORDER BY h.started_at DESC, h.id DESC");
  tx.conn().prepare("history_count", "SELECT count(*) FROM play_history h" + where);
  tx.conn().prepare("history_count_capped",
                    "SELECT count(*) FROM (SELECT 1 FROM play_history h" + where +
                        " LIMIT $5) c");
  pqxx::result r =
      tx.exec_prepared("history_list", q.stream_id, q.since, q.until, q.status, per_page, offset);
  std::vector<PlayRecord> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(PlayFromRow(row));
  *total = PageTotal(out.size(), q.page, per_page, count_cap, [&](int64_t limit) {
    return limit > 0 ? tx.exec_prepared1("history_count_capped", q.stream_id, q.since, q.until,
                                         q.status, limit)[0]
                           .as<int64_t>()
                     : tx.exec_prepared1("history_count", q.stream_id, q.since, q.until,
                                         q.status)[0]
                           .as<int64_t>();
  });
  return out;
}

void HistoryStore::ForEach(pqxx::transaction_base& tx, const HistoryQuery& q,
                           const std::function<bool(const PlayRecord&)>& fn) {
  CheckQuery(q.status);
  ForEachRow(tx,
             "SELECT " + PlayColumns() + kPlayFrom +
                 // Literals are folded when the query is planned, so an empty time would fail
                 // its cast even where it is never compared: no bound is an infinite one.
                 PlayWhere(tx.quote(q.stream_id),
                           q.since.empty() ? "'-infinity'" : tx.quote(q.since),
                           q.until.empty() ? "'infinity'" : tx.quote(q.until),
                           tx.quote(q.status)) +
                 " ORDER BY h.started_at DESC, h.id DESC",
             [&](const pqxx::row& r) { return fn(PlayFromRow(r)); });
}

std::vector<SessionRecord> HistoryStore::Sessions(pqxx::transaction_base& tx,
                                                  const SessionQuery& q, int64_t* total,
                                                  int64_t count_cap) {
  const int per_page = std::clamp(q.per_page, 1, 100);
  const int64_t offset = static_cast<int64_t>(std::max(q.page, 1) - 1) * per_page;
  const std::string where =
      " WHERE s.stream_id = $1"
      " AND ($2 = '' OR s.ended_at IS NULL OR s.ended_at >= $2::timestamptz)"
      " AND ($3 = '' OR s.started_at < $3::timestamptz)";
  tx.conn().prepare(
      "history_sessions",
      "SELECT s.id, " + common::SqlIsoUtc("s.started_at", "started_at") + ", " +
          common::SqlIsoUtc("s.ended_at", "ended_at", true) +
          ", coalesce(s.end_reason, '') AS end_reason, coalesce(s.end_detail, '') AS end_detail, "
          "s.ended_by, coalesce(nullif(u.display_name, ''), u.email, '') AS ended_by_name, "
          "s.peak_listeners, s.tracks_played "
          "FROM stream_sessions s LEFT JOIN users u ON u.id = s.ended_by" +
          where + " ORDER BY s.started_at DESC, s.id DESC LIMIT $4 OFFSET $5");
  tx.conn().prepare("history_sessions_count",
                    "SELECT count(*) FROM stream_sessions s" + where);
  tx.conn().prepare("history_sessions_count_capped",
                    "SELECT count(*) FROM (SELECT 1 FROM stream_sessions s" + where +
                        " LIMIT $4) c");
  pqxx::result r =
      tx.exec_prepared("history_sessions", q.stream_id, q.since, q.until, per_page, offset);
  std::vector<SessionRecord> out;
  for (const auto& row : r) {
    SessionRecord s;
    s.id = row["id"].as<int64_t>();
    s.started_at = row["started_at"].as<std::string>();
    s.ended_at = row["ended_at"].as<std::string>();
    s.end_reason = row["end_reason"].as<std::string>();
    s.end_detail = row["end_detail"].as<std::string>();
    s.ended_by_id = OptInt(row["ended_by"]);
    s.ended_by_name = row["ended_by_name"].as<std::string>();
    s.peak_listeners = row["peak_listeners"].as<int64_t>();
    s.tracks_played = row["tracks_played"].as<int64_t>();
    out.push_back(std::move(s));
  }
  *total = PageTotal(out.size(), q.page, per_page, count_cap, [&](int64_t limit) {
    return limit > 0 ? tx.exec_prepared1("history_sessions_count_capped", q.stream_id, q.since,
                                         q.until, limit)[0]
                           .as<int64_t>()
                     : tx.exec_prepared1("history_sessions_count", q.stream_id, q.since,
                                         q.until)[0]
                           .as<int64_t>();
  });
  return out;
}

HistoryQuery HistoryQueryFromPage(const std::multimap<std::string, std::string>& query,
                                  int64_t stream_id) {
  auto first = [&](const char* key) {
    auto it = query.find(key);
    return it == query.end() ? std::string() : it->second;
  };
  HistoryQuery q;
  q.stream_id = stream_id;
  const std::string since = first("history_since");
  const std::string until = first("history_until");
  if (!since.empty() && !DateToIso(since, 0, &q.since)) {
    throw HttpError(422, "validation_failed", "the From date must be a date (YYYY-MM-DD)");
  }
  if (!until.empty() && !DateToIso(until, 1, &q.until)) {
    throw HttpError(422, "validation_failed", "the To date must be a date (YYYY-MM-DD)");
  }
  q.status = first("history_status");
  const auto& reasons = PlayEndReasons();
  if (!q.status.empty() && std::find(reasons.begin(), reasons.end(), q.status) == reasons.end()) {
    throw HttpError(422, "validation_failed",
                    "the end reason must be finished, skipped, error or stopped");
  }
  return q;
}

}  // namespace sattva::fcgi
