#pragma once
// A stream's play history (play_history: one row per queue item played) and its sessions
// (stream_sessions: one row per start..end), as the API, the stream page and the export read
// them. Written only by the streamer (streamer/records.h). Every method runs on the caller's
// transaction; not thread-safe (the transaction is not).
//
// Reads are newest first and use the (stream_id, started_at DESC) indexes; a time filter is
// on started_at for plays and on the time a session was on air for sessions.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <json/json.h>
#include <pqxx/pqxx>

#include "fcgi/http.h"

namespace sattva::fcgi {

// The end reasons a play can have (play_history.end_reason).
const std::vector<std::string>& PlayEndReasons();

struct HistoryQuery {
  int64_t stream_id = 0;
  std::string since;   // ISO-8601 (validated with ParseTimestamp), inclusive; "" for none
  std::string until;   // exclusive; "" for none
  std::string status;  // one of PlayEndReasons(), or "" for any
  int page = 1;        // 1-based
  int per_page = 20;   // 1..100
};

struct PlayRecord {
  int64_t id = 0;
  std::optional<int64_t> session_id;
  std::optional<int64_t> track_id;  // null once the track row is gone
  std::string queue_item_id;
  std::string title;   // the track's, "" when unknown
  std::string artist;
  std::optional<int64_t> queued_by_id;
  std::string queued_by_name;  // the user's display name (or email), "" when unknown
  std::string started_at;      // ISO-8601 UTC ms
  std::string ended_at;        // "" while playing
  std::optional<int64_t> played_ms;  // ended_at - started_at; unset while playing
  std::string end_reason;      // "" while playing
  std::string error;
  // {id, session_id, track:{id,title,artist}|null, queue_item_id, queued_by:{id,name}|null,
  //  started_at, ended_at, played_ms, end_reason, error}
  Json::Value ToJson() const;
};

struct SessionQuery {
  int64_t stream_id = 0;
  std::string since;  // sessions still on air at or after this moment
  std::string until;  // sessions that started before this moment
  int page = 1;
  int per_page = 20;
};

struct SessionRecord {
  int64_t id = 0;
  std::string started_at;
  std::string ended_at;    // "" while open
  std::string end_reason;  // auto_end | manual | error | shutdown, "" while open
  std::string end_detail;
  std::optional<int64_t> ended_by_id;
  std::string ended_by_name;
  int64_t peak_listeners = 0;
  int64_t tracks_played = 0;
  // {id, started_at, ended_at, end_reason, end_detail, ended_by:{id,name}|null,
  //  peak_listeners, tracks_played}
  Json::Value ToJson() const;
};

// An ISO-8601 date ("2026-11-25": midnight UTC) or date-time ("2026-11-25T20:30",
// "...:00.123Z", "+03:00"; no zone means UTC) with real calendar values. Returns it in a form
// PostgreSQL reads as timestamptz, or nullopt.
std::optional<std::string> ParseTimestamp(const std::string& text);

class HistoryStore {
 public:
  // Whether the stream exists and is not deleted.
  static bool StreamExists(pqxx::transaction_base& tx, int64_t stream_id);
  // One page of plays, newest first, and the number that match. With `count_cap` > 0 the
  // count stops after count_cap + 1 rows (a page must not count a million rows): a *total above
  // count_cap means "more than count_cap".
  static std::vector<PlayRecord> List(pqxx::transaction_base& tx, const HistoryQuery& q,
                                      int64_t* total, int64_t count_cap = 0);
  // Every play that matches (paging ignored), newest first, through a server-side cursor.
  // `fn` returning false stops.
  static void ForEach(pqxx::transaction_base& tx, const HistoryQuery& q,
                      const std::function<bool(const PlayRecord&)>& fn);
  // One page of sessions, newest first, and the number that match; `count_cap` as for List.
  static std::vector<SessionRecord> Sessions(pqxx::transaction_base& tx, const SessionQuery& q,
                                             int64_t* total, int64_t count_cap = 0);
};

// The stream page's history filters (history_since, history_until as YYYY-MM-DD, the until
// date inclusive; history_status) as a query without paging, for the export of
// /admin/streams/{id}/history. Throws HttpError 422 naming a bad value.
HistoryQuery HistoryQueryFromPage(const std::multimap<std::string, std::string>& query,
                                  int64_t stream_id);

}  // namespace sattva::fcgi
