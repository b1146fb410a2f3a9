#include "tests/support/audio_files.h"

#include "tests/support/process.h"

namespace sattva::testing {

std::string WriteTone(const std::string& path, int freq, double seconds,
                      const std::vector<std::string>& codec_args,
                      const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {"/usr/bin/ffmpeg", "-hide_banner", "-loglevel", "error",
                                   "-nostdin", "-y", "-f", "lavfi", "-i",
                                   "sine=frequency=" + std::to_string(freq) +
                                       ":sample_rate=48000:duration=" + std::to_string(seconds),
                                   "-ac", "2", "-ar", "48000"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  argv.insert(argv.end(), codec_args.begin(), codec_args.end());
  argv.push_back(path);
  const std::string log = path + ".log";
  if (RunCommand(argv, log) == 0) return "";
  const std::string out = ReadFile(log);
  return out.empty() ? "ffmpeg failed for " + path : out;
}

}  // namespace sattva::testing
