#pragma once
// The public status page (/) and GET /api/v1/public/now-playing: data in, HTML or JSON out, no
// I/O. Only what a listener may see: title, slug, description, what plays (title, artist,
// progress), the listener count and the mount URLs. Never user ids or names, never the queue.
// Thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ctemplate/template.h>
#include <json/json.h>

#include "fcgi/streams.h"

namespace sattva::fcgi {

struct PublicNowPlaying {
  std::string title;
  std::string artist;
  int64_t duration_ms = 0;  // 0 when unknown
  int64_t position_ms = 0;  // now, extrapolated from the streamer's last write
  std::string started_at;   // ISO-8601 UTC
};

struct PublicStream {
  std::string slug;
  std::string title;
  std::string description;
  int64_t listeners = 0;
  std::optional<PublicNowPlaying> now;  // none between tracks or while the placeholder plays
};

// The live ones among `streams` (whose live views are `live`, in the same order): state
// running in Redis. Hidden streams must not be passed in at all.
std::vector<PublicStream> BuildPublicStreams(const std::vector<Stream>& streams,
                                             const std::vector<StreamLive>& live, int64_t now_ms);

// The JSON body of GET /api/v1/public/now-playing (docs/api.md).
Json::Value PublicNowPlayingJson(const std::vector<PublicStream>& streams,
                                 const std::string& generated_at);

// templates/public/status.tpl.
void FillPublicStatus(ctemplate::TemplateDictionary* d, const std::vector<PublicStream>& streams,
                      const std::string& generated_at);

// "3:07" (or "1:02:03") for a duration in ms.
std::string FormatClock(int64_t ms);

}  // namespace sattva::fcgi
