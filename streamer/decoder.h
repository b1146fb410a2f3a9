#pragma once
// Decodes one track (a file path or an http(s) URL) with libavformat/libavcodec and resamples it
// with libswresample to the stream format (48 kHz s16 interleaved stereo, see audio.h).
//
// Gapless: the output holds exactly the track's audio, with encoder delay and padding trimmed
// (MP3 LAME/Xing delay and padding, AAC priming and end padding, Vorbis and Opus pre-skip and
// end trimming). A track of N samples at 48 kHz yields exactly N samples. The player joins two
// tracks by reading the rest of a frame from the next decoder, so nothing is inserted or lost.
//
// Data-plane code: returns status codes, never throws. Not thread-safe: one thread at a time.

#include <cstdint>
#include <memory>
#include <string>

namespace sattva::streamer {

enum class DecodeStatus {
  kOk,           // *got == n samples were written
  kEndOfStream,  // the track is over; *got (0..n) samples were written before its end
  kError,        // the track cannot be read or decoded any further; *error says why
};

class Decoder {
 public:
  // Opens and probes `source` (a path, or an http/https URL), finds the best audio stream and
  // prepares the decoder and resampler. `timeout_ms` bounds network opens and reads. Returns
  // nullptr and sets *error to a one-line reason when it cannot.
  static std::unique_ptr<Decoder> Open(const std::string& source, int timeout_ms,
                                       std::string* error);
  virtual ~Decoder() = default;

  // Writes up to `n` samples per channel (interleaved stereo s16, so 2*n int16 values) to `out`.
  virtual DecodeStatus Read(int16_t* out, int n, int* got, std::string* error) = 0;

  // Moves to `ms` from the start of the track, sample-accurately (seeks, then decodes and
  // discards up to the exact sample). Returns false and sets *error when it cannot.
  virtual bool SeekMs(int64_t ms, std::string* error) = 0;

  // Samples per channel returned so far (after a seek: counted from the track's start).
  virtual int64_t position_samples() const = 0;
  // The track's length from its container, 0 when unknown.
  virtual int64_t duration_ms() const = 0;
};

}  // namespace sattva::streamer
