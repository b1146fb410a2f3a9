#pragma once
// Streams in PostgreSQL (records) plus their live parts in Redis (state, listeners, now
// playing). Runs on the caller's transaction and Redis (not thread-safe).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <json/json.h>
#include <pqxx/pqxx>

#include "common/redis.h"
#include "common/stream_keys.h"

namespace sattva::fcgi {

struct Stream {
  int64_t id = 0;
  std::string slug;
  std::string title;
  std::string description;
  std::optional<int64_t> placeholder_track_id;
  bool auto_end_enabled = true;
  int64_t auto_end_timeout_s = 300;
  std::string desired_state;  // running | stopped
  std::string created_at;
  std::string updated_at;
  std::string last_end_reason;  // "" when it never ended
  Json::Value ToJson() const;  // the record only; the API adds the live parts
};

struct StreamFields {  // for create and update; unset fields are left alone
  std::optional<std::string> slug;
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::optional<int64_t>> placeholder_track_id;
  std::optional<bool> auto_end_enabled;
  std::optional<int64_t> auto_end_timeout_s;
};

class StreamStore {
 public:
  static std::optional<Stream> Find(pqxx::transaction_base& tx, int64_t id, bool lock = false);
  // Whether a live (not deleted) stream has this id. Prepared: every queue request asks.
  static bool IsLive(pqxx::transaction_base& tx, int64_t id);
  static std::vector<Stream> List(pqxx::transaction_base& tx, int page, int per_page,
                                  int64_t* total);
  // Throws HttpError 409 for a taken slug, 422 for an unknown placeholder track.
  static Stream Create(pqxx::transaction_base& tx, const StreamFields& f);
  static Stream Update(pqxx::transaction_base& tx, const Stream& before, const StreamFields& f);
  static void SoftDelete(pqxx::transaction_base& tx, int64_t id);
  static void SetDesiredState(pqxx::transaction_base& tx, int64_t id, const std::string& state);
  // Ends the open session, if any, with `reason` (and the actor for manual stops).
  static bool EndOpenSession(pqxx::transaction_base& tx, int64_t id, const std::string& reason,
                             std::optional<int64_t> actor);
};

// The live view of a stream from Redis: state, listeners.
struct StreamLive {
  std::string state;  // starting | running | stopped
  int64_t listeners = 0;
  // The auto-end countdown the owning streamer keeps: when the count reached 0 (0: not armed).
  int64_t auto_end_zero_since_ms = 0;
};
StreamLive ReadLive(common::Redis& redis, const Stream& s);
using common::StreamListenersKey;
using common::StreamStateKey;
// Start, stop and skip reach the streamers through this channel at once; their reconcile loop
// re-reads desired_state (and the skip counter), so a lost message does no harm.
using common::kControlChannel;

}  // namespace sattva::fcgi
