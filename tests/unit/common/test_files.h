#pragma once
// Test helpers: a temporary directory removed with its contents, and a tiny WAV writer.

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace sattva::testfiles {

// A fresh directory under $TMPDIR (or /tmp), removed recursively by the destructor.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sattva-test-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to path()/name and returns the full path.
  std::string Write(const std::string& name, const std::string& content) const {
    std::string p = (path_ / name).string();
    std::ofstream out(p, std::ios::binary);
    out << content;
    return p;
  }

 private:
  std::filesystem::path path_;
};

// A 16-bit PCM WAV file of `frames` frames: a RIFF header, a fmt chunk and a data chunk holding
// a square-ish wave.
inline std::string WavBytes(int sample_rate, int channels, int64_t frames) {
  auto le = [](std::string* s, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  const uint32_t block_align = static_cast<uint32_t>(channels) * 2;
  const uint32_t data_bytes = static_cast<uint32_t>(frames) * block_align;
  std::string s = "RIFF";
  le(&s, 36 + data_bytes, 4);
  s += "WAVEfmt ";
  le(&s, 16, 4);  // fmt chunk size
  le(&s, 1, 2);   // PCM
  le(&s, static_cast<uint64_t>(channels), 2);
  le(&s, static_cast<uint64_t>(sample_rate), 4);
  le(&s, static_cast<uint64_t>(sample_rate) * block_align, 4);  // byte rate
  le(&s, block_align, 2);
  le(&s, 16, 2);  // bits per sample
  s += "data";
  le(&s, data_bytes, 4);
  for (int64_t f = 0; f < frames; ++f) {
    const int16_t v = (f / 50) % 2 == 0 ? 8000 : -8000;
    for (int c = 0; c < channels; ++c) le(&s, static_cast<uint16_t>(v), 2);
  }
  return s;
}

}  // namespace sattva::testfiles
