// /api/v1/tracks: the catalog. Registering by path, by URL or by upload; list, get, edit and
// (soft) delete. Every track is probed before it is stored, and nothing is stored (no row, no
// file) when the probe refuses it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "common/json.h"
#include "common/log.h"
#include "common/media_probe.h"
#include "common/password.h"
#include "fcgi/api.h"
#include "fcgi/auth.h"
#include "fcgi/multipart.h"
#include "fcgi/tracks.h"

namespace sattva::fcgi {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxPathBytes = 4096;
// A title or artist part of an upload; checked in characters afterwards.
constexpr size_t kMaxTextPartBytes = 4 * kMaxTitleChars;
// What a multipart body may add around the file: part headers, boundaries, title, artist.
constexpr uint64_t kMultipartOverhead = 64 * 1024;

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  // Closes now; returns close()'s result (0 when there was nothing to close).
  int Reset() {
    int rc = 0;
    if (fd_ >= 0) rc = close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

[[noreturn]] void ThrowStorageError(const std::string& what, const std::string& path) {
  const int err = errno;
  if (err == ENOSPC || err == EDQUOT) {
    LOG_ERROR << what << " " << path << ": " << std::strerror(err);
    throw HttpError(503, "insufficient_storage", "the media directory is full; try again later");
  }
  throw std::runtime_error(what + " " + path + ": " + std::strerror(err));
}

// 32 random hex digits: upload file names come from here, never from the client.
std::string RandomHex() { return common::Sha256Hex(common::RandomToken(16)).substr(0, 32); }

// An uploaded file being written under media_dir/uploads. Removed on destruction unless Keep()
// was called, so every failure path (a refused probe, a database error, an exception from the
// parser) leaves nothing behind.
class UploadFile {
 public:
  UploadFile(const std::string& dir, const std::string& ext) : ext_(ext) {
    for (int attempt = 0; attempt < 5 && fd_.get() < 0; ++attempt) {
      path_ = dir + "/.upload-" + RandomHex() + "." + ext;
      fd_ = UniqueFdOpen(path_);
      if (fd_.get() < 0 && errno != EEXIST) ThrowStorageError("cannot create", path_);
    }
    if (fd_.get() < 0) ThrowStorageError("cannot create", path_);
  }
  ~UploadFile() {
    fd_.Reset();
    if (!keep_) unlink(path_.c_str());
  }
  UploadFile(const UploadFile&) = delete;
  UploadFile& operator=(const UploadFile&) = delete;

  void Write(const char* data, size_t size) {
    while (size > 0) {
      const ssize_t n = write(fd_.get(), data, size);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ThrowStorageError("cannot write", path_);
      data += n;
      size -= static_cast<size_t>(n);
      size_ += static_cast<uint64_t>(n);
    }
  }
  // Flushes to disk and closes the file.
  void Finish() {
    if (fsync(fd_.get()) != 0) ThrowStorageError("cannot sync", path_);
    if (fd_.Reset() != 0) ThrowStorageError("cannot close", path_);
  }
  // Gives the finished file its final name in the same directory.
  void RenameTo(const std::string& final_path) {
    if (rename(path_.c_str(), final_path.c_str()) != 0) ThrowStorageError("cannot rename", path_);
    path_ = final_path;
    UniqueFd dir(open(std::filesystem::path(final_path).parent_path().c_str(),
                      O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() >= 0) fsync(dir.get());  // the rename itself; best effort
  }
  void Keep() { keep_ = true; }
  const std::string& path() const { return path_; }
  const std::string& ext() const { return ext_; }
  uint64_t size() const { return size_; }

 private:
  static UniqueFd UniqueFdOpen(const std::string& path) {
    return UniqueFd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  }

  std::string ext_;
  std::string path_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  bool keep_ = false;
};

// media_dir as a real path: what registered paths must resolve inside. A missing media_dir is a
// deployment error (500, logged); `create` makes it first (uploads).
std::string RealMediaDir(const common::Config& config, bool create) {
  const std::string dir = config.GetString("media_dir");
  if (create) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
  }
  std::unique_ptr<char, decltype(&std::free)> real(realpath(dir.c_str(), nullptr), &std::free);
  struct stat st;
  if (!real || stat(real.get(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    LOG_ERROR << "media_dir '" << dir << "' is not an accessible directory";
    throw HttpError(500, "internal_error", "the media directory is not available");
  }
  return real.get();
}

// The root sources are shown relative to: media_dir's real path, or (when it is missing) its
// absolute form, so listing never fails because of it.
std::string DisplayRoot(const common::Config& config) {
  const std::string dir = config.GetString("media_dir");
  std::unique_ptr<char, decltype(&std::free)> real(realpath(dir.c_str(), nullptr), &std::free);
  if (real) return real.get();
  std::error_code ec;
  std::string abs = std::filesystem::absolute(dir, ec).lexically_normal().string();
  while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
  return abs;
}

// A title or artist from a JSON body or an upload part: 400 for a wrong type (JSON), 422 for an
// invalid value.
std::optional<std::string> OptionalText(const Json::Value& body, const char* field,
                                        size_t min_chars, size_t max_chars) {
  if (!body.isMember(field)) return std::nullopt;
  std::string v = JsonString(body, field, 4 * max_chars);
  const std::string why = CheckTrackText(v, field, min_chars, max_chars);
  if (!why.empty()) throw HttpError(422, "validation_failed", why);
  return v;
}

void CheckText(const std::optional<std::string>& v, const char* field, size_t min_chars,
               size_t max_chars) {
  if (!v) return;
  const std::string why = CheckTrackText(*v, field, min_chars, max_chars);
  if (!why.empty()) throw HttpError(422, "validation_failed", why);
}

// Probes `source`; 422 "not_audio" with the probe's reason when it is not decodable audio. The
// reason names the source as the client knows it (`shown_as`), not the server's path.
common::MediaInfo ProbeOrRefuse(RequestContext& ctx, const std::string& source,
                                const std::string& shown_as) {
  common::ProbeOptions options;
  options.timeout_ms = ctx.env.config.GetInt("probe_timeout_ms");
  common::MediaInfo info;
  std::string error;
  if (!common::ProbeMedia(source, &info, &error, options)) {
    const std::string from = "'" + source + "'";
    const std::string to = "'" + shown_as + "'";
    for (size_t p = error.find(from); p != std::string::npos; p = error.find(from, p + to.size())) {
      error.replace(p, from.size(), to);
    }
    throw HttpError(422, "not_audio", "not decodable audio: " + error);
  }
  return info;
}

NewTrack MakeTrack(const Principal& p, const std::string& kind, const std::string& source,
                   const common::MediaInfo& info, const std::optional<std::string>& title,
                   const std::optional<std::string>& artist, const std::string& file_name,
                   std::optional<int64_t> size_bytes) {
  NewTrack n;
  n.source_kind = kind;
  n.source = source;
  n.title = ChooseTrackTitle(title, info.title, file_name);
  n.artist = artist ? *artist : CleanTrackText(info.artist, kMaxArtistChars);
  if (info.duration_ms >= 0) n.duration_ms = info.duration_ms;
  n.codec = info.codec;
  if (info.sample_rate > 0) n.sample_rate = info.sample_rate;
  if (info.channels > 0) n.channels = info.channels;
  n.size_bytes = size_bytes;
  n.created_by = p.user.id;
  return n;
}

// Inserts the track with its track.create audit row; 409 when its source is taken.
Track InsertAudited(RequestContext& ctx, const NewTrack& n, const std::string& root) {
  Track t;
  ctx.Tx([&](pqxx::work& tx) {
    t = TrackStore::Create(tx, n);
    AuditEntry e = AuditFor(ctx, "track.create", "track", std::to_string(t.id));
    Json::Value v = t.ToJson(root);
    for (const char* k : {"source_kind", "source", "title", "artist", "duration_ms", "codec",
                          "sample_rate", "channels", "size_bytes"}) {
      e.changes[k] = v[k];
    }
    AuditLog::Write(tx, e);
  });
  return t;
}

Response Created(const Track& t, const std::string& root) {
  Response r = Response::Json(201, t.ToJson(root));
  r.SetHeader("Location", "/api/v1/tracks/" + std::to_string(t.id));
  return r;
}

// Refuses a source a live track already has before the (possibly slow) probe. The insert
// checks again, atomically.
void RefuseDuplicate(RequestContext& ctx, const std::string& source) {
  std::optional<Track> existing;
  ctx.Tx([&](pqxx::work& tx) { existing = TrackStore::FindLiveBySource(tx, source); });
  if (existing) {
    throw HttpError(409, "conflict",
                    "this source is already registered as track " + std::to_string(existing->id));
  }
}

Response CreateFromJson(RequestContext& ctx, const Principal& p) {
  Json::Value body = ParseJsonBody(ctx.req);
  RejectUnknownFields(body, {"path", "url", "title", "artist"});
  const bool has_path = body.isMember("path");
  if (has_path == body.isMember("url")) {
    throw HttpError(422, "validation_failed", "give exactly one of path or url");
  }
  const std::optional<std::string> title = OptionalText(body, "title", 1, kMaxTitleChars);
  const std::optional<std::string> artist = OptionalText(body, "artist", 0, kMaxArtistChars);
  std::string kind, source, shown, file_name;
  std::optional<int64_t> size_bytes;
  std::string root;
  if (has_path) {
    const std::string requested = JsonString(body, "path", kMaxPathBytes);
    if (requested.empty() || requested.find('\0') != std::string::npos) {
      throw HttpError(422, "validation_failed", "path must be a non-empty path without NUL bytes");
    }
    root = RealMediaDir(ctx.env.config, false);
    switch (ResolveMediaPath(root, requested, &source)) {
      case MediaPathStatus::kOk:
        break;
      case MediaPathStatus::kOutside:
        throw HttpError(422, "path_outside_media_dir",
                        "the path is outside the media directory; only files inside it can be "
                        "registered");
      case MediaPathStatus::kNotFound:
        throw HttpError(422, "file_not_found", "no such file in the media directory");
      case MediaPathStatus::kNotRegular:
        throw HttpError(422, "validation_failed", "the path is not a regular file");
    }
    kind = "file";
    shown = DisplaySource(kind, source, root);
    file_name = source;
    struct stat st;
    if (stat(source.c_str(), &st) == 0) size_bytes = static_cast<int64_t>(st.st_size);
  } else {
    source = JsonString(body, "url", kMaxUrlBytes);
    const std::string why = CheckTrackUrl(source);
    if (!why.empty()) throw HttpError(422, "validation_failed", why);
    kind = "url";
    shown = source;
    file_name = UrlFileName(source);
    root = DisplayRoot(ctx.env.config);
  }
  RefuseDuplicate(ctx, source);
  const common::MediaInfo info = ProbeOrRefuse(ctx, source, shown);
  const NewTrack n = MakeTrack(p, kind, source, info, title, artist, file_name, size_bytes);
  return Created(InsertAudited(ctx, n, root), root);
}

Response CreateFromUpload(RequestContext& ctx, const Principal& p) {
  std::string boundary;
  if (!MultipartBoundary(*ctx.req.Header("content-type"), &boundary)) {
    throw HttpError(400, "bad_request",
                    "multipart/form-data needs a valid boundary parameter (1 to 70 characters)");
  }
  const uint64_t max_bytes = static_cast<uint64_t>(ctx.env.config.GetInt("upload_max_bytes"));
  auto too_large = [&]() {
    return HttpError(
        413, "payload_too_large",
        "the file is larger than the upload limit of " + std::to_string(max_bytes) + " bytes");
  };
  // The body is on disk when it came through nginx's upload location, else in memory.
  UniqueFd body_fd;
  if (!ctx.req.body_file.empty()) {
    body_fd = UniqueFd(open(ctx.req.body_file.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st;
    if (body_fd.get() < 0 || fstat(body_fd.get(), &st) != 0) {
      throw std::runtime_error("cannot read the request body file " + ctx.req.body_file + ": " +
                               std::strerror(errno));
    }
    if (static_cast<uint64_t>(st.st_size) > max_bytes + kMultipartOverhead) throw too_large();
  }
  const std::string root = RealMediaDir(ctx.env.config, true);
  const std::string uploads_dir = root + "/uploads";
  if (mkdir(uploads_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    ThrowStorageError("cannot create", uploads_dir);
  }
  std::unique_ptr<char, decltype(&std::free)> uploads_real(realpath(uploads_dir.c_str(), nullptr),
                                                           &std::free);
  if (!uploads_real) ThrowStorageError("cannot resolve", uploads_dir);

  std::unique_ptr<UploadFile> file;
  std::string client_name;
  std::optional<std::string> title, artist;
  std::string* text = nullptr;  // the title or artist part being read
  MultipartParser::Callbacks cb;
  cb.on_part_begin = [&](const MultipartPart& part) {
    if (part.name == "file") {
      if (file) throw HttpError(422, "validation_failed", "only one file part is allowed");
      client_name = part.filename;
      file = std::make_unique<UploadFile>(uploads_real.get(), UploadExtension(part.filename));
      text = nullptr;
    } else if (part.name == "title" || part.name == "artist") {
      std::optional<std::string>& slot = part.name == "title" ? title : artist;
      if (slot) throw HttpError(422, "validation_failed", "repeated field '" + part.name + "'");
      slot.emplace();
      text = &*slot;
    } else {
      throw HttpError(422, "validation_failed",
                      "unknown field '" + part.name.substr(0, 60) +
                          "' (an upload takes file, title and artist)");
    }
  };
  cb.on_part_data = [&](const char* data, size_t size) {
    if (text == nullptr) {
      file->Write(data, size);
    } else if (text->size() + size > kMaxTextPartBytes) {
      throw HttpError(422, "validation_failed", "a title or artist part is too long");
    } else {
      text->append(data, size);
    }
  };
  cb.on_part_end = [&]() { text = nullptr; };
  MultipartLimits limits;
  limits.max_part_bytes = max_bytes;
  MultipartParser parser(boundary, cb, limits);
  try {
    if (body_fd.get() >= 0) {
      std::vector<char> buf(kReadChunk);
      for (;;) {
        const ssize_t n = read(body_fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          throw std::runtime_error("cannot read the request body file " + ctx.req.body_file + ": " +
                                   std::strerror(errno));
        }
        if (n == 0) break;
        parser.Feed(buf.data(), static_cast<size_t>(n));
      }
    } else {
      parser.Feed(ctx.req.body.data(), ctx.req.body.size());
    }
    parser.Finish();
  } catch (const MultipartError& e) {
    if (e.kind() == MultipartError::Kind::kTooLarge) throw too_large();
    throw HttpError(400, "bad_request", std::string("malformed multipart body: ") + e.what());
  }
  if (!file) {
    throw HttpError(422, "validation_failed", "the upload has no 'file' part");
  }
  CheckText(title, "title", 1, kMaxTitleChars);
  CheckText(artist, "artist", 0, kMaxArtistChars);
  if (file->size() == 0) throw HttpError(422, "not_audio", "the uploaded file is empty");
  file->Finish();
  std::string shown = CleanTrackText(client_name, 200);
  if (shown.empty()) shown = "the upload";
  const common::MediaInfo info = ProbeOrRefuse(ctx, file->path(), shown);
  file->RenameTo(std::string(uploads_real.get()) + "/" + RandomHex() + "." + file->ext());
  const NewTrack n = MakeTrack(p, "upload", file->path(), info, title, artist, client_name,
                               static_cast<int64_t>(file->size()));
  const Track t = InsertAudited(ctx, n, root);
  file->Keep();
  return Created(t, root);
}

Response CreateTrack(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kTracksManage);
  CheckCsrf(ctx, p);
  const std::string* ct = ctx.req.Header("content-type");
  if (ct != nullptr && IsMultipartFormData(*ct)) return CreateFromUpload(ctx, p);
  return CreateFromJson(ctx, p);
}

Response ListTracks(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kStreamsView);
  TrackQuery q;
  q.q = QueryString(ctx.req, "q");
  if (q.q.size() > 200) throw HttpError(422, "validation_failed", "q is longer than 200 bytes");
  if (!common::IsValidUtf8(q.q)) throw HttpError(400, "bad_request", "q is not valid UTF-8");
  if (std::string s = QueryString(ctx.req, "sort"); !s.empty()) q.sort = s;
  bool sort_ok = false;
  for (const auto& k : TrackStore::SortKeys()) sort_ok = sort_ok || q.sort == k;
  if (!sort_ok) {
    throw HttpError(422, "validation_failed",
                    "sort must be one of id, title, artist, duration_ms, created_at");
  }
  const std::string order = QueryString(ctx.req, "order");
  if (!order.empty() && order != "asc" && order != "desc") {
    throw HttpError(422, "validation_failed", "order must be asc or desc");
  }
  q.descending = order == "desc";
  q.page = static_cast<int>(QueryInt(ctx.req, "page", 1, 1, 1000000));
  q.per_page = static_cast<int>(QueryInt(ctx.req, "per_page", 20, 1, 100));
  TrackPage page;
  ctx.Tx([&](pqxx::work& tx) { page = TrackStore::List(tx, q); });
  const std::string root = DisplayRoot(ctx.env.config);
  Json::Value items(Json::arrayValue);
  for (const auto& t : page.items) items.append(t.ToJson(root));
  return Response::Json(200, PageJson(items, page.total, q.page, q.per_page));
}

Track LoadLive(pqxx::work& tx, int64_t id, TrackLock lock) {
  std::optional<Track> t = TrackStore::FindLive(tx, id, lock);
  if (!t) throw HttpError(404, "not_found", "no such track: " + std::to_string(id));
  return *t;
}

Response GetTrack(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kStreamsView);
  const int64_t id = PathId(ctx, "id");
  Track t;
  ctx.Tx([&](pqxx::work& tx) { t = LoadLive(tx, id, TrackLock::kNone); });
  return Response::Json(200, t.ToJson(DisplayRoot(ctx.env.config)));
}

Response PatchTrack(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kTracksManage);
  CheckCsrf(ctx, p);
  const int64_t id = PathId(ctx, "id");
  Json::Value body = ParseJsonBody(ctx.req);
  RejectUnknownFields(body, {"title", "artist"});
  const std::optional<std::string> title = OptionalText(body, "title", 1, kMaxTitleChars);
  const std::optional<std::string> artist = OptionalText(body, "artist", 0, kMaxArtistChars);
  Track after;
  ctx.Tx([&](pqxx::work& tx) {
    const Track before = LoadLive(tx, id, TrackLock::kUpdate);
    after = before;
    if (!title && !artist) return;
    std::optional<Track> updated = TrackStore::Update(tx, id, title, artist);
    if (!updated) throw HttpError(404, "not_found", "no such track: " + std::to_string(id));
    after = *updated;
    Json::Value changes(Json::objectValue);
    if (before.title != after.title) {
      changes["title"]["from"] = before.title;
      changes["title"]["to"] = after.title;
    }
    if (before.artist != after.artist) {
      changes["artist"]["from"] = before.artist;
      changes["artist"]["to"] = after.artist;
    }
    if (changes.empty()) return;
    AuditEntry e = AuditFor(ctx, "track.update", "track", std::to_string(id));
    e.changes = changes;
    AuditLog::Write(tx, e);
  });
  return Response::Json(200, after.ToJson(DisplayRoot(ctx.env.config)));
}

Response DeleteTrack(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kTracksManage);
  CheckCsrf(ctx, p);
  const int64_t id = PathId(ctx, "id");
  const std::string root = DisplayRoot(ctx.env.config);
  ctx.Tx([&](pqxx::work& tx) {
    // The row lock makes a concurrent "set this track as a placeholder" (which reads the track
    // FOR SHARE) either finish first, and be seen below, or find the track deleted.
    const Track t = LoadLive(tx, id, TrackLock::kUpdate);
    const auto streams = TrackStore::PlaceholderStreams(tx, id);
    if (!streams.empty()) {
      std::string names;
      for (const auto& [sid, slug] : streams) {
        names += (names.empty() ? "" : ", ") + slug + " (id " + std::to_string(sid) + ")";
      }
      throw HttpError(409, "track_in_use",
                      "track " + std::to_string(id) + " is the placeholder of stream(s) " + names +
                          "; give them another placeholder first");
    }
    TrackStore::SoftDelete(tx, id);
    AuditEntry e = AuditFor(ctx, "track.delete", "track", std::to_string(id));
    e.changes["title"] = t.title;
    e.changes["source_kind"] = t.source_kind;
    e.changes["source"] = DisplaySource(t.source_kind, t.source, root);
    AuditLog::Write(tx, e);
  });
  return Response::NoContent();
}

}  // namespace

void RegisterTracksApi(Router& router) {
  router.Add("GET", "/api/v1/tracks", ListTracks);
  router.Add("POST", "/api/v1/tracks", CreateTrack);
  router.Add("GET", "/api/v1/tracks/{id}", GetTrack);
  router.Add("PATCH", "/api/v1/tracks/{id}", PatchTrack);
  router.Add("DELETE", "/api/v1/tracks/{id}", DeleteTrack);
}

}  // namespace sattva::fcgi
