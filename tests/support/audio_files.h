#pragma once
// Real audio files for integration tests, made with Debian's ffmpeg.

#include <string>
#include <vector>

namespace sattva::testing {

// Writes a stereo 48 kHz sine of `freq` Hz lasting `seconds` to `path`: `extra_args` (tags,
// filters) go before `codec_args` (default MP3). Returns "" on success, else ffmpeg's log.
std::string WriteTone(const std::string& path, int freq, double seconds,
                      const std::vector<std::string>& codec_args = {"-c:a", "libmp3lame"},
                      const std::vector<std::string>& extra_args = {});

}  // namespace sattva::testing
