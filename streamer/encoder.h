#pragma once
// Encodes a stream's 20 ms PCM frames (audio.h) for the live mount: Opus in Ogg, or MP3.
//
// Output comes in chunks, each a unit a new listener may start at: whole Ogg pages, or whole
// MP3 frames. A new Ogg listener first gets header() (the OpusHead and OpusTags pages), then
// chunks. MP3 has no header (header() is empty).
//
// Data-plane code: returns status codes, never throws. Not thread-safe: one thread at a time.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "streamer/audio.h"

namespace sattva::streamer {

enum class LiveFormat { kOggOpus, kMp3 };

// "audio/ogg" or "audio/mpeg".
const char* ContentType(LiveFormat format);
// "ogg" or "mp3".
const char* FormatName(LiveFormat format);

class LiveEncoder {
 public:
  // Returns nullptr and sets *error when the encoder cannot be set up.
  static std::unique_ptr<LiveEncoder> Create(LiveFormat format, std::string* error);
  virtual ~LiveEncoder() = default;

  // Encodes one frame. Appends each finished chunk (zero or more) to *chunks. Returns false and
  // sets *error on an encoder failure.
  virtual bool Encode(const PcmFrame& frame, std::vector<std::string>* chunks,
                      std::string* error) = 0;
  // Flushes what is buffered (end of stream) into *chunks.
  virtual void Finish(std::vector<std::string>* chunks) = 0;
  // Bytes every new listener gets before any chunk (Ogg: the header pages; MP3: empty).
  virtual const std::string& header() const = 0;
  virtual LiveFormat format() const = 0;
};

}  // namespace sattva::streamer
