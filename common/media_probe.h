#pragma once
// Probes an audio file or http(s) URL with libavformat: what `sattva-ctl demo`, track imports
// and uploads record in the tracks table. Opens the input, reads stream info, picks the best
// audio stream and reads one of its packets, so a file with no (readable) audio is refused.
//
// Local paths are opened through the file protocol only, URLs through http/https only (a
// playlist cannot make the probe read other files or protocols). Every FFmpeg call is bounded by
// options.timeout_ms through an interrupt callback, and reading is bounded by probe_size.
//
// ProbeMedia is thread-safe (it shares no state between calls).

#include <cstdint>
#include <string>

#include <json/json.h>

namespace sattva::common {

struct MediaInfo {
  int64_t duration_ms = -1;  // -1 when unknown (a live URL)
  std::string codec;         // FFmpeg codec name: "mp3", "opus", "flac", "pcm_s16le"
  int sample_rate = 0;       // Hz
  int channels = 0;
  std::string title;    // from tags; empty when there is none
  std::string artist;   // from tags; empty when there is none
  int64_t bitrate = 0;  // the audio stream's bits per second; 0 when unknown
};

struct ProbeOptions {
  int64_t timeout_ms = 15000;            // the whole probe, including network I/O
  int64_t probe_size = 5 * 1000 * 1000;  // bytes read to detect the format and streams
  int64_t analyze_duration_ms = 5000;    // media time read to find stream parameters
};

// True for http:// and https:// sources (case-insensitive scheme).
bool IsHttpUrl(const std::string& source);

// Fills *out and returns true, or returns false with a one-line reason in *error that names the
// source ("cannot open 'x.mp3': Invalid data found when processing input").
bool ProbeMedia(const std::string& source, MediaInfo* out, std::string* error,
                const ProbeOptions& options = ProbeOptions());

// {"duration_ms":N|null,"codec","sample_rate","channels","title","artist","bitrate"}
Json::Value MediaInfoToJson(const MediaInfo& info);

}  // namespace sattva::common
