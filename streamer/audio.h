#pragma once
// The stream's audio format and the interface every sink implements.
//
// A stream is 48 kHz, signed 16-bit little-endian, interleaved stereo PCM, in 20 ms frames of
// 960 samples per channel. The player produces one frame every 20 ms and hands it to each sink.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace sattva::streamer {

inline constexpr int kSampleRate = 48000;
inline constexpr int kChannels = 2;
inline constexpr int kFrameSamples = 960;  // per channel: 20 ms at 48 kHz
inline constexpr int kFrameMs = 20;
inline constexpr size_t kFrameBytes = kFrameSamples * kChannels * sizeof(int16_t);  // 3840

// One 20 ms frame: kFrameSamples interleaved stereo s16 samples (L R L R ...).
struct PcmFrame {
  std::array<int16_t, kFrameSamples * kChannels> samples{};
};

// What is playing, as sinks announce it.
struct TrackInfo {
  int64_t track_id = 0;       // 0 when nothing (silence) plays
  std::string item_id;        // the queue item id; empty for the placeholder
  std::string title;
  std::string artist;
  int64_t duration_ms = 0;    // 0 when unknown
  bool placeholder = false;
  // Where the track's first sample lies in the frame the next OnFrame delivers (0..959): a
  // track that begins mid-frame (a gapless join) starts `start_offset` samples into it.
  int start_offset = 0;
};

// A consumer of a stream's frames. The player calls OnFrame, OnTrack and OnEnd from its one
// thread, in order; these must not block (copy or queue, then return). Listeners() may be
// called from any thread.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void OnFrame(const PcmFrame& frame) = 0;
  virtual void OnTrack(const TrackInfo& track) = 0;
  // The stream ended (`reason`: "manual", "auto_end", "error", "shutdown"...). Listeners get an
  // end-of-stream; no frames follow.
  virtual void OnEnd(const std::string& reason) = 0;
  // How many people this sink reaches now.
  virtual int64_t Listeners() const = 0;
};

}  // namespace sattva::streamer
