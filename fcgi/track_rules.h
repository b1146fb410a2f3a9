#pragma once
// The catalog's business rules, shared by the REST API (fcgi/api_tracks.cc) and the admin pages
// (fcgi/admin/tracks.cc): registering a track by path, by URL or by upload (probe first, nothing
// stored on any failure), editing title and artist, deleting, each audited in the transaction
// that makes the change. Callers check permissions and CSRF; these functions check the input
// and throw HttpError (422 invalid, 404 unknown, 409 conflict, 413 too large, 400 malformed).
//
// Thread-safe as far as the RequestContext is (one per request).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "common/config.h"
#include "common/media_probe.h"
#include "fcgi/context.h"
#include "fcgi/tracks.h"

namespace sattva::fcgi {

// media_dir as a real path: what registered paths must resolve inside. A missing media_dir is a
// deployment error (500, logged); `create` makes it first (uploads).
std::string RealMediaDir(const common::Config& config, bool create);
// The root sources are shown relative to: media_dir's real path, or (when it is missing) its
// absolute form, so listing never fails because of it.
std::string DisplayRoot(const common::Config& config);

// 422 ("validation_failed") when a given title/artist is invalid (see CheckTrackText).
void CheckTrackField(const std::optional<std::string>& value, const char* field,
                     size_t min_chars, size_t max_chars);

// The refusal of a probe, as the client should read it: "unsupported codec: ..." when FFmpeg
// found audio it cannot decode, else "not an audio file: ...". `shown_as` replaces the server's
// path in the probe's reason.
std::string ProbeRefusal(const std::string& probe_error, const std::string& source,
                         const std::string& shown_as);

// Registers a file inside media_dir (`requested` relative to it, or absolute).
Track RegisterTrackPath(RequestContext& ctx, const Principal& p, const std::string& requested,
                        const std::optional<std::string>& title,
                        const std::optional<std::string>& artist);
// Registers an http(s) URL (probed with probe_timeout_ms).
Track RegisterTrackUrl(RequestContext& ctx, const Principal& p, const std::string& url,
                       const std::optional<std::string>& title,
                       const std::optional<std::string>& artist);

// --- uploads ----------------------------------------------------------------------------------

class UploadFile;  // a file being written under media_dir/uploads; removed unless stored

struct UploadOptions {
  size_t max_files = 1;
  // Text parts accepted besides `file` (e.g. title, artist, csrf_token); any other name is 422.
  std::vector<std::string> text_fields;
};

// A multipart/form-data body read to temporary files under media_dir/uploads. Destroying it
// removes every file that StoreUploads did not store.
class ParsedUpload {
 public:
  ParsedUpload();
  ~ParsedUpload();
  ParsedUpload(const ParsedUpload&) = delete;
  ParsedUpload& operator=(const ParsedUpload&) = delete;

  // A text part's value, or nullopt when it was not sent.
  std::optional<std::string> Field(const std::string& name) const;
  size_t file_count() const;
  // The client's name of file i, cleaned for display ("the upload" when it has none).
  std::string DisplayName(size_t i) const;

 private:
  friend std::unique_ptr<ParsedUpload> ReadUpload(RequestContext& ctx,
                                                  const UploadOptions& options);
  friend std::vector<Track> StoreUploads(RequestContext& ctx, const Principal& p,
                                         ParsedUpload& upload,
                                         const std::optional<std::string>& title,
                                         const std::optional<std::string>& artist);
  std::string root_;          // media_dir's real path
  std::string uploads_dir_;   // its uploads/ directory, real path
  std::vector<std::unique_ptr<UploadFile>> files_;
  std::vector<std::string> client_names_;
  std::map<std::string, std::string> fields_;
};

// Streams the request's multipart body (from nginx's body file, or from memory) into
// temporary files. 400 for a body that is not multipart or is malformed; 413 when a file is over
// upload_max_bytes; 422 for unknown or repeated parts, too many files, or no file at all.
std::unique_ptr<ParsedUpload> ReadUpload(RequestContext& ctx, const UploadOptions& options);

// Checks and probes every file of `upload`, then stores them all as tracks in one transaction
// (each with its track.create audit row) and returns them in order. All or nothing: when any
// file is empty or not decodable audio, nothing is stored and the 422 names every refused file
// ("“a.txt”: not an audio file: ..."; one line each). `title` and `artist` apply to every file.
std::vector<Track> StoreUploads(RequestContext& ctx, const Principal& p, ParsedUpload& upload,
                                const std::optional<std::string>& title,
                                const std::optional<std::string>& artist);

// --- edit and delete ----------------------------------------------------------------------

// Sets title and/or artist (validated; 422), audited as track.update when something changed.
// 404 when the track is not live. Returns the track after the change.
Track UpdateTrackChecked(RequestContext& ctx, pqxx::work& tx, int64_t id,
                         const std::optional<std::string>& title,
                         const std::optional<std::string>& artist, bool* changed = nullptr);

// Soft-deletes a live track, audited as track.delete. 404 when it is not live; 409
// ("track_in_use") when it is the placeholder of a live stream. Returns the deleted track.
Track DeleteTrackChecked(RequestContext& ctx, pqxx::work& tx, int64_t id);

}  // namespace sattva::fcgi
