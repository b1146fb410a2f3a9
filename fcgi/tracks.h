#pragma once
// The track catalog in PostgreSQL, and the pure rules around it: where a registered file may
// live (inside media_dir, after following symlinks), what title a new track gets, what counts
// as a valid title, URL or upload extension.
//
// TrackStore methods run on the caller's transaction (one connection per thread; not
// thread-safe), so a change and its audit row commit together. A deleted track keeps its row
// (deleted_at is set): history and queue snapshots still name it, and its source may be
// registered again as a new track.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <json/json.h>
#include <pqxx/pqxx>

#include "common/redis.h"

namespace sattva::fcgi {

struct Track {
  int64_t id = 0;
  std::string source_kind;  // "file" | "url" | "upload"
  std::string source;       // an absolute path (file, upload) or an http(s) URL
  std::string title;
  std::string artist;
  std::optional<int64_t> duration_ms;  // unset when unknown (a live URL)
  std::string codec;
  std::optional<int> sample_rate;
  std::optional<int> channels;
  std::optional<int64_t> size_bytes;
  std::optional<int64_t> created_by;
  std::string created_at;  // ISO-8601 UTC
  std::string deleted_at;  // "" while live
  // Who added it (the users row of created_by): filled only by ListFast and ForEach; "" when
  // unknown or not read.
  std::string added_by_email;
  std::string added_by_name;

  // Bits per second: size_bytes * 8000 / duration_ms, when both are known and non-zero.
  std::optional<int64_t> bitrate() const;

  // {id, source_kind, source, title, artist, duration_ms, codec, sample_rate, channels,
  //  size_bytes, created_by, created_at}. `source` is shown relative to `media_root` for files
  // and uploads inside it (see DisplaySource).
  Json::Value ToJson(const std::string& media_root) const;
};

// A new row: everything but id, created_at and deleted_at.
struct NewTrack {
  std::string source_kind;
  std::string source;
  std::string title;
  std::string artist;
  std::optional<int64_t> duration_ms;
  std::string codec;
  std::optional<int> sample_rate;
  std::optional<int> channels;
  std::optional<int64_t> size_bytes;
  std::optional<int64_t> created_by;
};

struct TrackQuery {
  std::string q;            // substring of title or artist, case-insensitive; % and _ literal
  std::string codec;        // exact codec name ("mp3"); "" for any
  std::string source_kind;  // "file" | "url" | "upload"; "" for any
  std::string sort = "id";  // id | title | artist | duration_ms | created_at
  bool descending = false;
  int page = 1;       // 1-based
  int per_page = 20;  // 1..100
};

struct TrackPage {
  std::vector<Track> items;
  int64_t total = 0;
  // How ListFast found `total`: counted; the planner's estimate of live rows (an unfiltered
  // catalog of kEstimateFrom tracks or more); or a lower bound ("more than total", when a
  // filtered count reached its cap).
  enum class Total { kExact, kEstimate, kAtLeast };
  Total total_kind = Total::kExact;
};

// Row locks for FindLive. kShare: for callers that make something depend on the track staying
// live (a stream's placeholder): a concurrent DELETE waits for the caller's commit, and a
// caller that waited on a DELETE sees the track gone. kUpdate: for changing the track itself.
enum class TrackLock { kNone, kShare, kUpdate };

class TrackStore {
 public:
  // The sort keys List accepts.
  static const std::vector<std::string>& SortKeys();

  // Any track, deleted or not.
  static std::optional<Track> Find(pqxx::transaction_base& tx, int64_t id);
  // A track that is not deleted.
  static std::optional<Track> FindLive(pqxx::transaction_base& tx, int64_t id,
                                       TrackLock lock = TrackLock::kNone);
  // The live tracks among `ids` (duplicates and unknown ids are fine), by id. One query.
  static std::map<int64_t, Track> FindLiveMany(pqxx::transaction_base& tx,
                                               const std::vector<int64_t>& ids);
  // The live track with this exact source.
  static std::optional<Track> FindLiveBySource(pqxx::transaction_base& tx,
                                               const std::string& source);
  // Live tracks only, with an exact total. Throws std::invalid_argument for a sort key outside
  // SortKeys().
  static TrackPage List(pqxx::transaction_base& tx, const TrackQuery& q);
  // The same page for the admin list, with added_by_* filled, without counting a large catalog:
  // unfiltered, the total is the planner's estimate once it is kEstimateFrom or more, else a
  // count up to max(kEstimateFrom, the end of this page) + 1 (statistics may lag a bulk load);
  // filtered, matches are counted up to max(kCountCap, the end of this page) + 1. A count that
  // reaches its limit gives Total::kAtLeast.
  // Prepared statements, one per sort, direction and set of filters.
  static TrackPage ListFast(pqxx::transaction_base& tx, const TrackQuery& q);
  static constexpr int64_t kEstimateFrom = 10000;
  static constexpr int64_t kCountCap = 1000;
  // Every live track matching q's filters, in q's sort order (paging ignored), with added_by_*
  // filled, read through a server-side cursor (constant memory). `fn` returning false stops.
  static size_t ForEach(pqxx::transaction_base& tx, const TrackQuery& q,
                        const std::function<bool(const Track&)>& fn);
  // How many play_history rows name the track.
  static int64_t PlayCount(pqxx::transaction_base& tx, int64_t id);
  // Titles of the live streams among `ids`, by id. One query.
  static std::map<int64_t, std::string> StreamTitles(pqxx::transaction_base& tx,
                                                     const std::vector<int64_t>& ids);
  // Inserts and returns the track. Throws HttpError 409 ("conflict", naming the existing
  // track's id) when a live track already has this source.
  static Track Create(pqxx::transaction_base& tx, const NewTrack& t);
  // Sets title and/or artist of a live track; returns the new state, or nullopt when the track
  // is not live.
  static std::optional<Track> Update(pqxx::transaction_base& tx, int64_t id,
                                     const std::optional<std::string>& title,
                                     const std::optional<std::string>& artist);
  // Marks a live track deleted. Returns false when it was not live.
  static bool SoftDelete(pqxx::transaction_base& tx, int64_t id);
  // Live streams whose placeholder is this track: {id, slug}, by id.
  static std::vector<std::pair<int64_t, std::string>> PlaceholderStreams(pqxx::transaction_base& tx,
                                                                         int64_t id);
};

// --- where tracks are queued (Redis, common::TrackQueuedKey) -----------------------------

// For each of `ids`, in how many streams' queues it is (HLEN of its queued hash). One round
// trip (a read-only script over the keys). Throws common::RedisError.
std::map<int64_t, int64_t> QueuedStreamCounts(common::Redis& redis, const std::vector<int64_t>& ids);
// Stream id -> how many of that stream's queue items hold the track (HGETALL), by stream id.
std::map<int64_t, int64_t> QueuedStreams(common::Redis& redis, int64_t track_id);

// --- media paths ------------------------------------------------------------------------------

// True when `path` is `root` or lies below it. Both must be absolute and normalised (realpath
// results): this is a string comparison on whole components ("/m" does not contain "/mx").
bool PathIsInside(const std::string& root, const std::string& path);

enum class MediaPathStatus {
  kOk,
  kOutside,     // resolves (through "..", an absolute path or a symlink) outside the root
  kNotFound,    // inside the root, but missing or unreadable
  kNotRegular,  // inside the root, but a directory, device or socket
};

// Resolves `requested` (relative to `root`, or absolute) with realpath semantics and checks it
// stays inside `root`, which must itself be a realpath result. On kOk, *resolved is the real
// absolute path. A missing file is classified by where its deepest existing ancestor resolves,
// so a path through a symlink to the outside is kOutside whether or not the target exists.
MediaPathStatus ResolveMediaPath(const std::string& root, const std::string& requested,
                                 std::string* resolved);

// How a track's source is shown: for file and upload sources inside `media_root` the path
// relative to it ("uploads/ab12.mp3"); anything else as stored.
std::string DisplaySource(const std::string& source_kind, const std::string& source,
                          const std::string& media_root);

// --- titles, URLs, uploads -------------------------------------------------------------------

constexpr size_t kMaxTitleChars = 500;
constexpr size_t kMaxArtistChars = 500;
constexpr size_t kMaxUrlBytes = 2048;

// "" when `value` is a valid title/artist: valid UTF-8, no control characters (C0, DEL, C1),
// between min_chars and max_chars characters (code points), and not only whitespace when
// min_chars > 0. Otherwise the reason, naming `field`.
std::string CheckTrackText(const std::string& value, const std::string& field, size_t min_chars,
                           size_t max_chars);

// Makes a probed tag or a client's file name safe to store: invalid UTF-8 gives "", control
// characters become spaces, surrounding whitespace goes, and it is cut to max_chars.
std::string CleanTrackText(const std::string& value, size_t max_chars);

// A file name without directories (either slash) and without its last extension:
// "C:\\music\\Song.mp3" -> "Song", ".hidden" -> ".hidden".
std::string FileStem(const std::string& name);

// The title of a new track: `explicit_title` when given; else the probed tag; else the file
// name's stem (see FileStem); else "Untitled". Fallbacks pass through CleanTrackText.
std::string ChooseTrackTitle(const std::optional<std::string>& explicit_title,
                             const std::string& tag_title, const std::string& file_name);

// "" when `url` may be registered: http or https, a host, at most kMaxUrlBytes of printable
// ASCII (no spaces or control characters). Otherwise the reason.
std::string CheckTrackUrl(const std::string& url);
// The last path segment of a URL, percent-decoded when that gives UTF-8 ("" when none).
std::string UrlFileName(const std::string& url);

// The extension an upload is stored with: the client file name's own (lower-cased) when it is
// a known audio extension, else "bin". Never a path: only [a-z0-9] reach the disk.
std::string UploadExtension(const std::string& client_filename);

}  // namespace sattva::fcgi
