#include "fcgi/tracks.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <deque>
#include <memory>
#include <stdexcept>

#include "common/json.h"
#include "common/pg.h"
#include "common/media_probe.h"
#include "common/stream_keys.h"
#include "fcgi/http.h"
#include "fcgi/pg_cursor.h"

namespace sattva::fcgi {
namespace {

constexpr int kMaxSymlinks = 40;  // as the kernel's MAXSYMLINKS

const std::string& Columns() {
  static const std::string kCols =
      std::string(
          "id, source_kind, source, title, artist, duration_ms, codec, sample_rate, channels, "
          "size_bytes, created_by, ") +
      common::SqlIsoUtc("created_at", "created_at") + ", " +
      common::SqlIsoUtc("deleted_at", "deleted_at", true);
  return kCols;
}

template <typename T>
std::optional<T> Opt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<T>();
}

Track FromRow(const pqxx::row& r) {
  Track t;
  t.id = r["id"].as<int64_t>();
  t.source_kind = r["source_kind"].as<std::string>();
  t.source = r["source"].as<std::string>();
  t.title = r["title"].as<std::string>();
  t.artist = r["artist"].as<std::string>();
  t.duration_ms = Opt<int64_t>(r["duration_ms"]);
  t.codec = r["codec"].as<std::string>();
  t.sample_rate = Opt<int>(r["sample_rate"]);
  t.channels = Opt<int>(r["channels"]);
  t.size_bytes = Opt<int64_t>(r["size_bytes"]);
  t.created_by = Opt<int64_t>(r["created_by"]);
  t.created_at = r["created_at"].as<std::string>();
  t.deleted_at = r["deleted_at"].as<std::string>();
  return t;
}

// The SQL ordering expression of a sort key, or nullptr.
const char* SortExpression(const std::string& key) {
  if (key == "id") return "id";
  if (key == "title") return "lower(title)";
  if (key == "artist") return "lower(artist)";
  if (key == "duration_ms") return "duration_ms";
  if (key == "created_at") return "created_at";
  return nullptr;
}

// The WHERE of a list, its count and its export. `bind` turns a value into SQL: a "$n"
// placeholder (prepared statements) or a quoted literal (cursors). `shape` names the filters in
// use, for prepared statement names.
std::string TrackWhere(const TrackQuery& q, const std::function<std::string(const std::string&)>& bind,
                       std::string* shape) {
  std::string where = " WHERE deleted_at IS NULL";
  *shape = "";
  if (!q.q.empty()) {
    const std::string pattern = bind(common::LikeContains(q.q));
    where += " AND (title ILIKE " + pattern + " OR artist ILIKE " + pattern + ")";
    *shape += "q";
  }
  if (!q.codec.empty()) {
    where += " AND codec = " + bind(q.codec);
    *shape += "c";
  }
  if (!q.source_kind.empty()) {
    where += " AND source_kind = " + bind(q.source_kind);
    *shape += "s";
  }
  return where;
}

// ORDER BY of a list; `prefix` qualifies the columns ("t.").
std::string TrackOrder(const TrackQuery& q, const std::string& prefix) {
  const char* expr = SortExpression(q.sort);
  if (expr == nullptr) throw std::invalid_argument("unknown sort key: " + q.sort);
  const std::string dir = q.descending ? " DESC" : " ASC";
  std::string e = expr;
  if (!prefix.empty()) {
    e = q.sort == "title"    ? "lower(" + prefix + "title)"
        : q.sort == "artist" ? "lower(" + prefix + "artist)"
                             : prefix + e;
  }
  std::string order = e + dir + (q.sort == "duration_ms" ? " NULLS LAST" : "");
  if (q.sort != "id") order += ", " + prefix + "id" + dir;
  return order;
}

// The columns of a list row with its adder, over a subquery `t` of Columns() and `users u`.
const char* kWithAdder = "t.*, coalesce(u.email, '') AS by_email, coalesce(u.display_name, '') AS by_name";

Track FromRowWithAdder(const pqxx::row& r) {
  Track t = FromRow(r);
  t.added_by_email = r["by_email"].as<std::string>();
  t.added_by_name = r["by_name"].as<std::string>();
  return t;
}

std::string ParentDir(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

void PushComponentsFront(const std::string& path, std::deque<std::string>* parts) {
  std::deque<std::string> mine;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) mine.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  parts->insert(parts->begin(), mine.begin(), mine.end());
}

// For a path realpath could not resolve: walks it component by component as the kernel would
// (symlinks followed, ".." applied to the resolved directory) up to the first component that
// cannot be examined, and judges by the real directory that component would be in.
MediaPathStatus ClassifyUnresolvable(const std::string& root, const std::string& absolute) {
  std::deque<std::string> parts;
  PushComponentsFront(absolute, &parts);
  std::string current = "/";
  int links = 0;
  auto judge = [&](const std::string& dir) {
    return PathIsInside(root, dir) ? MediaPathStatus::kNotFound : MediaPathStatus::kOutside;
  };
  while (!parts.empty()) {
    const std::string c = parts.front();
    parts.pop_front();
    if (c == ".") continue;
    if (c == "..") {
      current = ParentDir(current);
      continue;
    }
    const std::string next = JoinPath(current, c);
    struct stat st;
    if (lstat(next.c_str(), &st) != 0) return judge(current);
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxSymlinks) return judge(current);
      std::string target(PATH_MAX, '\0');
      const ssize_t n = readlink(next.c_str(), target.data(), target.size());
      if (n <= 0 || static_cast<size_t>(n) >= target.size()) return judge(current);
      target.resize(static_cast<size_t>(n));
      if (target[0] == '/') current = "/";
      PushComponentsFront(target, &parts);
      continue;
    }
    current = next;
    // Something below a non-directory cannot exist; judged by where that file is.
    if (!S_ISDIR(st.st_mode) && !parts.empty()) return judge(ParentDir(current));
  }
  return judge(ParentDir(current));
}

// Decodes the UTF-8 code points of a valid UTF-8 string.
template <typename Fn>
void ForEachCodePoint(const std::string& s, Fn fn) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    fn(cp, i, static_cast<size_t>(len));
    i += static_cast<size_t>(len);
  }
}

bool IsControl(uint32_t cp) { return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F); }

std::string TrimSpaces(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

}  // namespace

std::optional<int64_t> Track::bitrate() const {
  if (!size_bytes || !duration_ms || *size_bytes <= 0 || *duration_ms <= 0) return std::nullopt;
  return *size_bytes * 8000 / *duration_ms;
}

Json::Value Track::ToJson(const std::string& media_root) const {
  Json::Value v(Json::objectValue);
  v["id"] = common::JsonInt(id);
  v["source_kind"] = source_kind;
  v["source"] = DisplaySource(source_kind, source, media_root);
  v["title"] = title;
  v["artist"] = artist;
  v["duration_ms"] = duration_ms ? common::JsonInt(*duration_ms) : Json::Value();
  v["codec"] = codec;
  v["sample_rate"] = sample_rate ? Json::Value(*sample_rate) : Json::Value();
  v["channels"] = channels ? Json::Value(*channels) : Json::Value();
  v["size_bytes"] = size_bytes ? common::JsonInt(*size_bytes) : Json::Value();
  v["created_by"] = created_by ? common::JsonInt(*created_by) : Json::Value();
  v["created_at"] = created_at;
  return v;
}

const std::vector<std::string>& TrackStore::SortKeys() {
  static const std::vector<std::string> kKeys = {"id", "title", "artist", "duration_ms",
                                                 "created_at"};
  return kKeys;
}

std::optional<Track> TrackStore::Find(pqxx::transaction_base& tx, int64_t id) {
  pqxx::result r = tx.exec_params("SELECT " + Columns() + " FROM tracks WHERE id = $1", id);
  if (r.empty()) return std::nullopt;
  return FromRow(r[0]);
}

std::optional<Track> TrackStore::FindLive(pqxx::transaction_base& tx, int64_t id, TrackLock lock) {
  const char* suffix = lock == TrackLock::kShare    ? " FOR SHARE"
                       : lock == TrackLock::kUpdate ? " FOR UPDATE"
                                                    : "";
  pqxx::result r = tx.exec_params(
      "SELECT " + Columns() + " FROM tracks WHERE id = $1 AND deleted_at IS NULL" + suffix, id);
  if (r.empty()) return std::nullopt;
  return FromRow(r[0]);
}

std::map<int64_t, Track> TrackStore::FindLiveMany(pqxx::transaction_base& tx,
                                                  const std::vector<int64_t>& ids) {
  std::map<int64_t, Track> out;
  if (ids.empty()) return out;
  std::string array = "{";
  for (size_t i = 0; i < ids.size(); ++i) array += (i ? "," : "") + std::to_string(ids[i]);
  array += "}";
  pqxx::result r = tx.exec_params("SELECT " + Columns() +
                                      " FROM tracks WHERE id = ANY($1::bigint[]) AND "
                                      "deleted_at IS NULL",
                                  array);
  for (const auto& row : r) {
    Track t = FromRow(row);
    out.emplace(t.id, std::move(t));
  }
  return out;
}

std::optional<Track> TrackStore::FindLiveBySource(pqxx::transaction_base& tx,
                                                  const std::string& source) {
  pqxx::result r = tx.exec_params(
      "SELECT " + Columns() + " FROM tracks WHERE source = $1 AND deleted_at IS NULL", source);
  if (r.empty()) return std::nullopt;
  return FromRow(r[0]);
}

TrackPage TrackStore::List(pqxx::transaction_base& tx, const TrackQuery& q) {
  const std::string order = TrackOrder(q, "");
  std::vector<std::string> params;
  std::string shape;
  const std::string where = TrackWhere(
      q,
      [&](const std::string& v) {
        params.push_back(v);
        return "$" + std::to_string(params.size());
      },
      &shape);
  const std::vector<std::string> filter_params = params;
  const int per_page = q.per_page < 1 ? 1 : (q.per_page > 100 ? 100 : q.per_page);
  const int64_t offset = static_cast<int64_t>(q.page < 1 ? 0 : q.page - 1) * per_page;
  const std::string n_limit = "$" + std::to_string(params.size() + 1);
  const std::string n_offset = "$" + std::to_string(params.size() + 2);
  params.push_back(std::to_string(per_page));
  params.push_back(std::to_string(offset));
  pqxx::result r = tx.exec_params("SELECT " + Columns() + ", count(*) OVER () AS total FROM tracks" +
                                      where + " ORDER BY " + order + " LIMIT " + n_limit +
                                      " OFFSET " + n_offset,
                                  pqxx::prepare::make_dynamic_params(params));
  TrackPage page;
  for (const auto& row : r) page.items.push_back(FromRow(row));
  if (!r.empty()) {
    page.total = r[0]["total"].as<int64_t>();
  } else {
    page.total = tx.exec_params1("SELECT count(*) FROM tracks" + where,
                                 pqxx::prepare::make_dynamic_params(filter_params))[0]
                     .as<int64_t>();
  }
  return page;
}

TrackPage TrackStore::ListFast(pqxx::transaction_base& tx, const TrackQuery& q) {
  const std::string inner_order = TrackOrder(q, "");
  const std::string outer_order = TrackOrder(q, "t.");
  const int per_page = q.per_page < 1 ? 1 : (q.per_page > 100 ? 100 : q.per_page);
  const int64_t offset = static_cast<int64_t>(q.page < 1 ? 0 : q.page - 1) * per_page;
  std::vector<std::string> params;
  std::string shape;
  const std::string where = TrackWhere(
      q,
      [&](const std::string& v) {
        params.push_back(v);
        return "$" + std::to_string(params.size());
      },
      &shape);
  const std::vector<std::string> filter_params = params;
  const std::string n_limit = "$" + std::to_string(params.size() + 1);
  const std::string n_offset = "$" + std::to_string(params.size() + 2);
  params.push_back(std::to_string(per_page));
  params.push_back(std::to_string(offset));
  // Take the page first; only its rows look up their adder.
  const std::string name =
      "tracks_page_" + q.sort + (q.descending ? "_desc_" : "_asc_") + (shape.empty() ? "all" : shape);
  tx.conn().prepare(name, std::string("SELECT ") + kWithAdder + " FROM (SELECT " + Columns() +
                              " FROM tracks" + where + " ORDER BY " + inner_order + " LIMIT " +
                              n_limit + " OFFSET " + n_offset +
                              ") t LEFT JOIN users u ON u.id = t.created_by ORDER BY " +
                              outer_order);
  pqxx::result r = tx.exec_prepared(name, pqxx::prepare::make_dynamic_params(params));
  TrackPage page;
  for (const auto& row : r) page.items.push_back(FromRowWithAdder(row));

  if (shape.empty()) {
    // The live-source index holds one entry per live track: its reltuples (kept by ANALYZE and
    // autovacuum) estimates the catalog without reading it.
    tx.conn().prepare("tracks_live_estimate",
                      "SELECT coalesce((SELECT reltuples::bigint FROM pg_class "
                      "WHERE oid = 'tracks_source_key'::regclass), -1)");
    const int64_t estimate = tx.exec_prepared1("tracks_live_estimate")[0].as<int64_t>();
    if (estimate >= kEstimateFrom) {
      page.total = std::max<int64_t>(estimate, offset + static_cast<int64_t>(r.size()));
      page.total_kind = TrackPage::Total::kEstimate;
      return page;
    }
    // A small catalog, or statistics not gathered yet (a bulk load before autovacuum's ANALYZE):
    // counted, but never further than kEstimateFrom.
  }
  const int64_t cap =
      std::max<int64_t>(shape.empty() ? kEstimateFrom : kCountCap, offset + per_page) + 1;
  std::vector<std::string> count_params = filter_params;
  count_params.push_back(std::to_string(cap));
  const std::string count_name = "tracks_count_" + shape;
  tx.conn().prepare(count_name, "SELECT count(*) FROM (SELECT 1 FROM tracks" + where + " LIMIT $" +
                                    std::to_string(count_params.size()) + ") s");
  const int64_t n =
      tx.exec_prepared1(count_name, pqxx::prepare::make_dynamic_params(count_params))[0]
          .as<int64_t>();
  if (n >= cap) {
    page.total = cap - 1;
    page.total_kind = TrackPage::Total::kAtLeast;
  } else {
    page.total = n;
  }
  return page;
}

size_t TrackStore::ForEach(pqxx::transaction_base& tx, const TrackQuery& q,
                           const std::function<bool(const Track&)>& fn) {
  std::string shape;
  const std::string where =
      TrackWhere(q, [&](const std::string& v) { return tx.quote(v); }, &shape);
  const std::string sql = std::string("SELECT ") + kWithAdder + " FROM (SELECT " + Columns() +
                          " FROM tracks" + where +
                          ") t LEFT JOIN users u ON u.id = t.created_by ORDER BY " +
                          TrackOrder(q, "t.");
  return ForEachRow(tx, sql, [&](const pqxx::row& row) { return fn(FromRowWithAdder(row)); });
}

int64_t TrackStore::PlayCount(pqxx::transaction_base& tx, int64_t id) {
  return tx.exec_params1("SELECT count(*) FROM play_history WHERE track_id = $1", id)[0]
      .as<int64_t>();
}

std::map<int64_t, std::string> TrackStore::StreamTitles(pqxx::transaction_base& tx,
                                                        const std::vector<int64_t>& ids) {
  std::map<int64_t, std::string> out;
  if (ids.empty()) return out;
  std::string array = "{";
  for (size_t i = 0; i < ids.size(); ++i) array += (i ? "," : "") + std::to_string(ids[i]);
  array += "}";
  for (const auto& row : tx.exec_params(
           "SELECT id, title FROM streams WHERE id = ANY($1::bigint[]) AND deleted_at IS NULL",
           array)) {
    out.emplace(row[0].as<int64_t>(), row[1].as<std::string>());
  }
  return out;
}

Track TrackStore::Create(pqxx::transaction_base& tx, const NewTrack& t) {
  pqxx::result r = tx.exec_params(
      "INSERT INTO tracks (source_kind, source, title, artist, duration_ms, codec, sample_rate, "
      "channels, size_bytes, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
      "ON CONFLICT (source) WHERE deleted_at IS NULL DO NOTHING RETURNING " +
          Columns(),
      t.source_kind, t.source, t.title, t.artist, t.duration_ms, t.codec, t.sample_rate, t.channels,
      t.size_bytes, t.created_by);
  if (!r.empty()) return FromRow(r[0]);
  std::optional<Track> existing = FindLiveBySource(tx, t.source);
  throw HttpError(409, "conflict",
                  "this source is already registered as track " +
                      (existing ? std::to_string(existing->id) : std::string("(unknown)")));
}

std::optional<Track> TrackStore::Update(pqxx::transaction_base& tx, int64_t id,
                                        const std::optional<std::string>& title,
                                        const std::optional<std::string>& artist) {
  pqxx::result r = tx.exec_params(
      "UPDATE tracks SET title = coalesce($2, title), artist = coalesce($3, artist) "
      "WHERE id = $1 AND deleted_at IS NULL RETURNING " +
          Columns(),
      id, title, artist);
  if (r.empty()) return std::nullopt;
  return FromRow(r[0]);
}

bool TrackStore::SoftDelete(pqxx::transaction_base& tx, int64_t id) {
  pqxx::result r = tx.exec_params(
      "UPDATE tracks SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id", id);
  return !r.empty();
}

std::vector<std::pair<int64_t, std::string>> TrackStore::PlaceholderStreams(
    pqxx::transaction_base& tx, int64_t id) {
  pqxx::result r = tx.exec_params(
      "SELECT id, slug FROM streams WHERE placeholder_track_id = $1 AND deleted_at IS NULL "
      "ORDER BY id",
      id);
  std::vector<std::pair<int64_t, std::string>> out;
  for (const auto& row : r) out.emplace_back(row[0].as<int64_t>(), row[1].as<std::string>());
  return out;
}

// --- where tracks are queued ---------------------------------------------------------------

std::map<int64_t, int64_t> QueuedStreamCounts(common::Redis& redis,
                                              const std::vector<int64_t>& ids) {
  std::map<int64_t, int64_t> out;
  if (ids.empty()) return out;
  static const char* kScript =
      "local r = {} for i, k in ipairs(KEYS) do r[i] = redis.call('HLEN', k) end return r";
  std::vector<std::string> args = {"EVAL", kScript, std::to_string(ids.size())};
  for (int64_t id : ids) args.push_back(common::TrackQueuedKey(id));
  common::RedisReplyPtr r = redis.Checked(args);
  if (r->type != REDIS_REPLY_ARRAY || r->elements != ids.size()) {
    throw common::RedisError("unexpected reply to the queued-streams script");
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    const redisReply* e = r->element[i];
    out[ids[i]] = e->type == REDIS_REPLY_INTEGER ? e->integer : 0;
  }
  return out;
}

std::map<int64_t, int64_t> QueuedStreams(common::Redis& redis, int64_t track_id) {
  std::map<int64_t, int64_t> out;
  common::RedisReplyPtr r = redis.Checked({"HGETALL", common::TrackQueuedKey(track_id)});
  if (r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    const std::string sid = common::ReplyString(r->element[i]);
    const std::string n = common::ReplyString(r->element[i + 1]);
    char* end = nullptr;
    const long long id = std::strtoll(sid.c_str(), &end, 10);
    if (sid.empty() || *end != '\0' || id <= 0) continue;
    const long long count = std::strtoll(n.c_str(), nullptr, 10);
    if (count > 0) out[id] = count;
  }
  return out;
}

// --- media paths ------------------------------------------------------------------------------

bool PathIsInside(const std::string& root, const std::string& path) {
  if (root.empty() || root[0] != '/' || path.empty() || path[0] != '/') return false;
  if (root == "/") return true;
  if (path.compare(0, root.size(), root) != 0) return false;
  return path.size() == root.size() || path[root.size()] == '/';
}

MediaPathStatus ResolveMediaPath(const std::string& root, const std::string& requested,
                                 std::string* resolved) {
  if (requested.empty() || requested.find('\0') != std::string::npos) {
    return MediaPathStatus::kNotFound;
  }
  const std::string absolute = requested[0] == '/' ? requested : JoinPath(root, requested);
  std::unique_ptr<char, decltype(&std::free)> real(realpath(absolute.c_str(), nullptr), &std::free);
  if (!real) return ClassifyUnresolvable(root, absolute);
  const std::string path = real.get();
  if (!PathIsInside(root, path)) return MediaPathStatus::kOutside;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return MediaPathStatus::kNotFound;
  if (!S_ISREG(st.st_mode)) return MediaPathStatus::kNotRegular;
  *resolved = path;
  return MediaPathStatus::kOk;
}

std::string DisplaySource(const std::string& source_kind, const std::string& source,
                          const std::string& media_root) {
  if (source_kind == "url" || media_root.empty() || source == media_root ||
      !PathIsInside(media_root, source)) {
    return source;
  }
  return source.substr(media_root == "/" ? 1 : media_root.size() + 1);
}

// --- titles, URLs, uploads -------------------------------------------------------------------

std::string CheckTrackText(const std::string& value, const std::string& field, size_t min_chars,
                           size_t max_chars) {
  if (!common::IsValidUtf8(value)) return field + " is not valid UTF-8";
  size_t chars = 0;
  bool control = false;
  ForEachCodePoint(value, [&](uint32_t cp, size_t, size_t) {
    ++chars;
    control = control || IsControl(cp);
  });
  if (control) return field + " must not contain control characters";
  if (chars < min_chars || (min_chars > 0 && TrimSpaces(value).empty())) {
    return field + " must not be empty";
  }
  if (chars > max_chars) {
    return field + " must be at most " + std::to_string(max_chars) + " characters";
  }
  return "";
}

std::string CleanTrackText(const std::string& value, size_t max_chars) {
  if (!common::IsValidUtf8(value)) return "";
  std::string out;
  size_t chars = 0;
  ForEachCodePoint(value, [&](uint32_t cp, size_t at, size_t len) {
    if (IsControl(cp)) {
      out += ' ';
    } else {
      out.append(value, at, len);
    }
  });
  out = TrimSpaces(out);
  std::string cut;
  ForEachCodePoint(out, [&](uint32_t, size_t at, size_t len) {
    if (chars++ < max_chars) cut.append(out, at, len);
  });
  return TrimSpaces(cut);
}

std::string FileStem(const std::string& name) {
  const size_t slash = name.find_last_of("/\\");
  std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
  const size_t dot = base.rfind('.');
  if (dot == std::string::npos || dot == 0) return base;
  return base.substr(0, dot);
}

std::string ChooseTrackTitle(const std::optional<std::string>& explicit_title,
                             const std::string& tag_title, const std::string& file_name) {
  if (explicit_title) return *explicit_title;
  std::string t = CleanTrackText(tag_title, kMaxTitleChars);
  if (!t.empty()) return t;
  t = CleanTrackText(FileStem(file_name), kMaxTitleChars);
  if (!t.empty()) return t;
  return "Untitled";
}

std::string CheckTrackUrl(const std::string& url) {
  if (url.empty()) return "url must not be empty";
  if (url.size() > kMaxUrlBytes) {
    return "url must be at most " + std::to_string(kMaxUrlBytes) + " bytes";
  }
  for (char c : url) {
    if (c <= 0x20 || c >= 0x7F) {
      return "url must be printable ASCII without spaces (percent-encode the rest)";
    }
  }
  if (!common::IsHttpUrl(url)) return "url must start with http:// or https://";
  const size_t start = url.find("://") + 3;
  const size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
  const size_t at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  if (authority.empty()) return "url has no host";
  const std::string host = authority[0] == '[' ? authority.substr(0, authority.find(']') + 1)
                                               : authority.substr(0, authority.find(':'));
  if (host.empty() || host == "[" || host == "[]") return "url has no host";
  return "";
}

std::string UrlFileName(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t path_start = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path_start == std::string::npos) return "";
  std::string path = url.substr(path_start, url.find_first_of("?#", path_start) - path_start);
  const std::string seg = path.substr(path.rfind('/') + 1);
  std::string decoded;
  if (PercentDecode(seg, false, &decoded) && common::IsValidUtf8(decoded)) return decoded;
  return seg;
}

std::string UploadExtension(const std::string& client_filename) {
  static const char* kAudio[] = {"aac",  "ac3",  "aif", "aifc", "aiff", "alac", "amr", "ape",
                                 "caf",  "flac", "m4a", "mka",  "mp2",  "mp3",  "oga", "ogg",
                                 "opus", "spx",  "wav", "weba", "webm", "wma",  "wv"};
  const size_t slash = client_filename.find_last_of("/\\");
  const std::string base =
      slash == std::string::npos ? client_filename : client_filename.substr(slash + 1);
  const size_t dot = base.rfind('.');
  if (dot == std::string::npos || dot == 0) return "bin";
  std::string ext = base.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* a : kAudio) {
    if (ext == a) return ext;
  }
  return "bin";
}

}  // namespace sattva::fcgi
