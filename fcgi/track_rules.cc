#include "fcgi/track_rules.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <vector>

#include "common/json.h"
#include "common/log.h"
#include "common/password.h"
#include "fcgi/audit.h"
#include "fcgi/auth.h"
#include "fcgi/multipart.h"

namespace sattva::fcgi {

namespace {

constexpr size_t kReadChunk = 64 * 1024;
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

}  // namespace

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

namespace {

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

// Inserts the track with its track.create audit row on `tx`; 409 when its source is taken.
Track InsertAudited(RequestContext& ctx, pqxx::work& tx, const NewTrack& n,
                    const std::string& root) {
  Track t = TrackStore::Create(tx, n);
  AuditEntry e = AuditFor(ctx, "track.create", "track", std::to_string(t.id));
  Json::Value v = t.ToJson(root);
  for (const char* k : {"source_kind", "source", "title", "artist", "duration_ms", "codec",
                        "sample_rate", "channels", "size_bytes"}) {
    e.changes[k] = v[k];
  }
  AuditLog::Write(tx, e);
  return t;
}

Track InsertAudited(RequestContext& ctx, const NewTrack& n, const std::string& root) {
  Track t;
  ctx.Tx([&](pqxx::work& tx) { t = InsertAudited(ctx, tx, n, root); });
  return t;
}

// Probes `source`; false with the client-facing reason (see ProbeRefusal).
bool Probe(RequestContext& ctx, const std::string& source, const std::string& shown_as,
           common::MediaInfo* info, std::string* why) {
  common::ProbeOptions options;
  options.timeout_ms = ctx.env.config.GetInt("probe_timeout_ms");
  std::string error;
  if (common::ProbeMedia(source, info, &error, options)) return true;
  *why = ProbeRefusal(error, source, shown_as);
  return false;
}

// 422 "not_audio" with the probe's reason when `source` is not decodable audio.
common::MediaInfo ProbeOrRefuse(RequestContext& ctx, const std::string& source,
                                const std::string& shown_as) {
  common::MediaInfo info;
  std::string why;
  if (!Probe(ctx, source, shown_as, &info, &why)) throw HttpError(422, "not_audio", why);
  return info;
}

// Refuses a source a live track already has before the (possibly slow) probe. The insert
// checks again, atomically.
void RefuseDuplicate(RequestContext& ctx, const std::string& source) {
  std::optional<Track> existing;
  ctx.Read([&](pqxx::transaction_base& tx) { existing = TrackStore::FindLiveBySource(tx, source); });
  if (existing) {
    throw HttpError(409, "conflict",
                    "this source is already registered as track " + std::to_string(existing->id));
  }
}

}  // namespace

void CheckTrackField(const std::optional<std::string>& value, const char* field,
                     size_t min_chars, size_t max_chars) {
  if (!value) return;
  const std::string why = CheckTrackText(*value, field, min_chars, max_chars);
  if (!why.empty()) throw HttpError(422, "validation_failed", why);
}

std::string ProbeRefusal(const std::string& probe_error, const std::string& source,
                         const std::string& shown_as) {
  std::string error = probe_error;
  const std::string from = "'" + source + "'";
  const std::string to = "'" + shown_as + "'";
  for (size_t p = error.find(from); p != std::string::npos; p = error.find(from, p + to.size())) {
    error.replace(p, from.size(), to);
  }
  if (error.find("no decoder for codec") != std::string::npos) {
    return "unsupported codec: " + error;
  }
  return "not an audio file: " + error;
}

Track RegisterTrackPath(RequestContext& ctx, const Principal& p, const std::string& requested,
                        const std::optional<std::string>& title,
                        const std::optional<std::string>& artist) {
  CheckTrackField(title, "title", 1, kMaxTitleChars);
  CheckTrackField(artist, "artist", 0, kMaxArtistChars);
  if (requested.empty() || requested.find('\0') != std::string::npos) {
    throw HttpError(422, "validation_failed", "path must be a non-empty path without NUL bytes");
  }
  const std::string root = RealMediaDir(ctx.env.config, false);
  std::string source;
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
  std::optional<int64_t> size_bytes;
  struct stat st;
  if (stat(source.c_str(), &st) == 0) size_bytes = static_cast<int64_t>(st.st_size);
  RefuseDuplicate(ctx, source);
  const common::MediaInfo info = ProbeOrRefuse(ctx, source, DisplaySource("file", source, root));
  const NewTrack n = MakeTrack(p, "file", source, info, title, artist, source, size_bytes);
  return InsertAudited(ctx, n, root);
}

Track RegisterTrackUrl(RequestContext& ctx, const Principal& p, const std::string& url,
                       const std::optional<std::string>& title,
                       const std::optional<std::string>& artist) {
  CheckTrackField(title, "title", 1, kMaxTitleChars);
  CheckTrackField(artist, "artist", 0, kMaxArtistChars);
  const std::string why = CheckTrackUrl(url);
  if (!why.empty()) throw HttpError(422, "validation_failed", why);
  RefuseDuplicate(ctx, url);
  const common::MediaInfo info = ProbeOrRefuse(ctx, url, url);
  const NewTrack n = MakeTrack(p, "url", url, info, title, artist, UrlFileName(url), std::nullopt);
  return InsertAudited(ctx, n, DisplayRoot(ctx.env.config));
}

// --- uploads ----------------------------------------------------------------------------------

ParsedUpload::ParsedUpload() = default;
ParsedUpload::~ParsedUpload() = default;

std::optional<std::string> ParsedUpload::Field(const std::string& name) const {
  auto it = fields_.find(name);
  if (it == fields_.end()) return std::nullopt;
  return it->second;
}

size_t ParsedUpload::file_count() const { return files_.size(); }

std::string ParsedUpload::DisplayName(size_t i) const {
  std::string shown = CleanTrackText(client_names_.at(i), 200);
  return shown.empty() ? "the upload" : shown;
}

std::unique_ptr<ParsedUpload> ReadUpload(RequestContext& ctx, const UploadOptions& options) {
  const std::string* ct = ctx.req.Header("content-type");
  std::string boundary;
  if (ct == nullptr || !MultipartBoundary(*ct, &boundary)) {
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
    if (static_cast<uint64_t>(st.st_size) >
        max_bytes * options.max_files + kMultipartOverhead * options.max_files) {
      throw too_large();
    }
  }
  auto upload = std::make_unique<ParsedUpload>();
  upload->root_ = RealMediaDir(ctx.env.config, true);
  const std::string uploads_dir = upload->root_ + "/uploads";
  if (mkdir(uploads_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    ThrowStorageError("cannot create", uploads_dir);
  }
  std::unique_ptr<char, decltype(&std::free)> uploads_real(realpath(uploads_dir.c_str(), nullptr),
                                                           &std::free);
  if (!uploads_real) ThrowStorageError("cannot resolve", uploads_dir);
  upload->uploads_dir_ = uploads_real.get();

  UploadFile* file = nullptr;   // the file part being read
  std::string* text = nullptr;  // the text part being read
  MultipartParser::Callbacks cb;
  cb.on_part_begin = [&](const MultipartPart& part) {
    file = nullptr;
    text = nullptr;
    if (part.name == "file") {
      if (upload->files_.size() >= options.max_files) {
        throw HttpError(422, "validation_failed",
                        options.max_files == 1
                            ? "only one file part is allowed"
                            : "at most " + std::to_string(options.max_files) +
                                  " files can be uploaded at once");
      }
      upload->files_.push_back(
          std::make_unique<UploadFile>(upload->uploads_dir_, UploadExtension(part.filename)));
      upload->client_names_.push_back(part.filename);
      file = upload->files_.back().get();
      return;
    }
    bool known = false;
    for (const std::string& f : options.text_fields) known = known || f == part.name;
    if (!known) {
      std::string allowed = "file";
      for (const std::string& f : options.text_fields) allowed += ", " + f;
      throw HttpError(422, "validation_failed",
                      "unknown field '" + part.name.substr(0, 60) + "' (an upload takes " +
                          allowed + ")");
    }
    auto [it, inserted] = upload->fields_.emplace(part.name, std::string());
    if (!inserted) throw HttpError(422, "validation_failed", "repeated field '" + part.name + "'");
    text = &it->second;
  };
  cb.on_part_data = [&](const char* data, size_t size) {
    if (file != nullptr) {
      file->Write(data, size);
    } else if (text->size() + size > kMaxTextPartBytes) {
      throw HttpError(422, "validation_failed", "a text field of the upload is too long");
    } else {
      text->append(data, size);
    }
  };
  cb.on_part_end = [&]() {
    file = nullptr;
    text = nullptr;
  };
  MultipartLimits limits;
  limits.max_part_bytes = max_bytes;
  limits.max_parts = options.max_files + options.text_fields.size() + 1;
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
  for (const auto& [name, value] : upload->fields_) {
    if (!common::IsValidUtf8(value)) {
      throw HttpError(422, "validation_failed", "the field '" + name + "' is not valid UTF-8");
    }
  }
  return upload;
}

std::vector<Track> StoreUploads(RequestContext& ctx, const Principal& p, ParsedUpload& upload,
                                const std::optional<std::string>& title,
                                const std::optional<std::string>& artist) {
  if (upload.files_.empty() ||
      (upload.files_.size() == 1 && upload.client_names_[0].empty() &&
       upload.files_[0]->size() == 0)) {
    // A form submitted with no file chosen sends one empty part without a name.
    throw HttpError(422, "validation_failed", "choose a file to upload");
  }
  CheckTrackField(title, "title", 1, kMaxTitleChars);
  CheckTrackField(artist, "artist", 0, kMaxArtistChars);
  std::vector<common::MediaInfo> infos(upload.files_.size());
  std::string refused;
  for (size_t i = 0; i < upload.files_.size(); ++i) {
    UploadFile& f = *upload.files_[i];
    const std::string shown = upload.DisplayName(i);
    std::string why;
    if (f.size() == 0) {
      why = "the file is empty (0 bytes)";
    } else {
      f.Finish();
      Probe(ctx, f.path(), shown, &infos[i], &why);  // sets `why` when it refuses
    }
    if (!why.empty()) {
      refused += (refused.empty() ? "" : "\n") +
                 (upload.files_.size() > 1 ? "\u201c" + shown + "\u201d: " + why : why);
    }
  }
  if (!refused.empty()) {
    if (upload.files_.size() > 1) refused += "\nNothing was stored; upload the others again.";
    throw HttpError(422, "not_audio", refused);
  }
  for (auto& f : upload.files_) {
    f->RenameTo(upload.uploads_dir_ + "/" + RandomHex() + "." + f->ext());
  }
  std::vector<Track> stored;
  ctx.Tx([&](pqxx::work& tx) {
    stored.clear();
    for (size_t i = 0; i < upload.files_.size(); ++i) {
      const UploadFile& f = *upload.files_[i];
      const NewTrack n = MakeTrack(p, "upload", f.path(), infos[i], title, artist,
                                   upload.client_names_[i], static_cast<int64_t>(f.size()));
      stored.push_back(InsertAudited(ctx, tx, n, upload.root_));
    }
  });
  for (auto& f : upload.files_) f->Keep();
  return stored;
}

// --- edit and delete ----------------------------------------------------------------------

Track UpdateTrackChecked(RequestContext& ctx, pqxx::work& tx, int64_t id,
                         const std::optional<std::string>& title,
                         const std::optional<std::string>& artist, bool* changed) {
  if (changed != nullptr) *changed = false;
  std::optional<Track> before = TrackStore::FindLive(tx, id, TrackLock::kUpdate);
  if (!before) throw HttpError(404, "not_found", "no such track: " + std::to_string(id));
  CheckTrackField(title, "title", 1, kMaxTitleChars);
  CheckTrackField(artist, "artist", 0, kMaxArtistChars);
  if (!title && !artist) return *before;
  std::optional<Track> after = TrackStore::Update(tx, id, title, artist);
  if (!after) throw HttpError(404, "not_found", "no such track: " + std::to_string(id));
  Json::Value changes(Json::objectValue);
  if (before->title != after->title) {
    changes["title"]["from"] = before->title;
    changes["title"]["to"] = after->title;
  }
  if (before->artist != after->artist) {
    changes["artist"]["from"] = before->artist;
    changes["artist"]["to"] = after->artist;
  }
  if (changes.empty()) return *after;
  AuditEntry e = AuditFor(ctx, "track.update", "track", std::to_string(id));
  e.changes = changes;
  AuditLog::Write(tx, e);
  if (changed != nullptr) *changed = true;
  return *after;
}

Track DeleteTrackChecked(RequestContext& ctx, pqxx::work& tx, int64_t id) {
  // The row lock makes a concurrent "set this track as a placeholder" (which reads the track
  // FOR SHARE) either finish first, and be seen below, or find the track deleted.
  std::optional<Track> t = TrackStore::FindLive(tx, id, TrackLock::kUpdate);
  if (!t) throw HttpError(404, "not_found", "no such track: " + std::to_string(id));
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
  e.changes["title"] = t->title;
  e.changes["source_kind"] = t->source_kind;
  e.changes["source"] = DisplaySource(t->source_kind, t->source, DisplayRoot(ctx.env.config));
  AuditLog::Write(tx, e);
  return *t;
}

}  // namespace sattva::fcgi
