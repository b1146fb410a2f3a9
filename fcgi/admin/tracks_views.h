#pragma once
// The tracks pages' views: data in, HTML dictionaries out (templates/tracks/*.tpl), no I/O.
// fcgi/admin/tracks.cc reads the database and Redis, checks permissions and calls these; the
// unit tests (tests/unit/fcgi/admin_tracks_test.cc) render them directly.
//
// Every template is autoescaped: the Fill* functions set plain text. Thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <ctemplate/template.h>

#include "fcgi/admin/list.h"
#include "fcgi/context.h"
#include "fcgi/tracks.h"

namespace sattva::fcgi {

// The list: /admin/tracks with q, codec, source, sort, order, page, per_page.
const ListSpec& TracksListSpec();
// The codecs the codec filter offers: what the probe reports for the formats people upload.
const std::vector<std::pair<std::string, std::string>>& TrackCodecChoices();
// The store query of validated list parameters.
TrackQuery TrackQueryFrom(const ListParams& params);

// "3:07", "1:02:03"; "—" when unknown (a live URL).
std::string FormatTrackDuration(const std::optional<int64_t>& ms);
// "128 kbps" (rounded to the nearest kbps), "—" when unknown.
std::string FormatBitrate(const std::optional<int64_t>& bits_per_second);
// "44.1 kHz", "48 kHz", "—".
std::string FormatSampleRate(const std::optional<int>& hz);
// "812 B", "4.2 KB", "3.7 MB", "1.2 GB" (powers of 1000, one decimal under 10); "—".
std::string FormatSize(const std::optional<int64_t>& bytes);
// "mono", "stereo", "6 channels", "—".
std::string FormatChannels(const std::optional<int>& channels);
// The list summary: "Showing 1–20 of 57 tracks", "Showing 1–20 of about 100,000 tracks"
// (estimated), "Showing 1–20 of more than 10,000 tracks" (a capped count).
std::string TracksSummary(const ListParams& params, const TrackPage& page);
// "1,234,567".
std::string GroupThousands(int64_t n);
// The Content-Type of a track's audio file: from its file extension, else from its codec;
// "application/octet-stream" when neither says.
std::string AudioContentType(const std::string& path, const std::string& codec);
// The internal URI nginx serves a media file from: `prefix` + the path relative to media_dir,
// each segment percent-encoded.
std::string MediaAccelPath(const std::string& prefix, const std::string& relative_path);

// The forms of the list page, as typed (after an error) or empty.
struct TrackAddForms {
  std::string url;
  std::string url_title;
  std::string url_artist;
  std::string url_error;
  std::string upload_error;  // one line per refused file
  int status = 200;
};

// The list page. `queued` holds, per track id on the page, how many streams queue it.
void FillTracksList(ctemplate::TemplateDictionary* d, const Principal& viewer,
                    const ListParams& params, const TrackPage& page,
                    const std::map<int64_t, int64_t>& queued, const TrackAddForms& forms);

struct QueuedIn {
  int64_t stream_id = 0;
  std::string title;  // "" when the stream is gone
  int64_t items = 0;  // how many of its queue items hold the track
};

// The track page's edit form: as stored, or as typed after an error.
struct TrackForm {
  std::string title;
  std::string artist;
  std::string error;
};

struct TrackPageData {
  Track track;
  std::string source_shown;  // DisplaySource
  std::optional<User> added_by;
  int64_t play_count = 0;
  std::vector<QueuedIn> queued;
  TrackForm form;
};
void FillTrackPage(ctemplate::TemplateDictionary* d, const Principal& viewer,
                   const TrackPageData& data);

// The delete confirmation. `placeholder_of` lists the live streams ({id, slug}) whose
// placeholder the track is: deleting is refused while there are any (409). `error` is shown when
// a delete was just refused.
void FillDeleteTrack(ctemplate::TemplateDictionary* d, const Track& track,
                     const std::vector<QueuedIn>& queued,
                     const std::vector<std::pair<int64_t, std::string>>& placeholder_of,
                     const std::string& error);

}  // namespace sattva::fcgi
