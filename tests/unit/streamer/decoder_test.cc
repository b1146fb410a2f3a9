// The decoder: sample-exact (gapless) lengths for every format the streamer plays, resampling,
// mono upmix and downmix, sample-accurate seeks, bad, truncated and corrupt input, chunking that
// does not change the output, and HTTP streams that decode alike and cannot hang. Fixtures are
// made by the ffmpeg CLI in a temporary directory.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "streamer/decoder.h"
#include "tests/unit/common/test_files.h"

namespace sattva::streamer {
namespace {

constexpr int kTimeoutMs = 5000;

std::string Tone(int rate, double seconds) {
  return "-f lavfi -i \"sine=frequency=440:sample_rate=" + std::to_string(rate) +
         ":duration=" + std::to_string(seconds) + "\"";
}

// The formats under test: file extension and ffmpeg codec arguments.
const std::vector<std::pair<std::string, std::string>>& Formats() {
  static const auto* formats = new std::vector<std::pair<std::string, std::string>>{
      {"mp3", "-c:a libmp3lame -b:a 128k"},
      {"m4a", "-c:a aac -b:a 128k"},
      {"ogg", "-c:a libvorbis"},
      {"opus", "-c:a libopus"},
      {"flac", "-c:a flac"},
      {"wav", "-c:a pcm_s16le"},
  };
  return *formats;
}

// The fixture files, in a temporary directory removed at exit. Each is encoded by the ffmpeg
// CLI the first time a test asks for it, so a test run alone (ctest) makes only its own.
class Fixtures {
 public:
  static Fixtures& Get() {
    static Fixtures fixtures;
    return fixtures;
  }
  bool ok() const { return !dir_.empty(); }

  // The path of `name` in the directory, encoded first if it is a known fixture.
  std::string Path(const std::string& name) {
    const std::string path = dir_ + "/" + name;
    auto recipe = recipes_.find(name);
    if (recipe != recipes_.end() && !std::filesystem::exists(path)) {
      const std::string command =
          "ffmpeg -hide_banner -loglevel error -nostdin -y " + recipe->second + " '" + path + "'";
      EXPECT_EQ(std::system(command.c_str()), 0) << command;
    }
    return path;
  }

 private:
  Fixtures() {
    dir_ = tmp_.path().string();
    for (const auto& [ext, codec] : Formats()) {
      recipes_["t1000." + ext] = Tone(48000, 1.0) + " -ac 2 " + codec;
      recipes_["t730." + ext] = Tone(48000, 0.73) + " -ac 2 " + codec;
    }
    recipes_["r44.wav"] = Tone(44100, 1.0) + " -ac 2 -c:a pcm_s16le";
    recipes_["r44.mp3"] = Tone(44100, 1.0) + " -ac 2 -c:a libmp3lame -b:a 128k";
    recipes_["r44.flac"] = Tone(44100, 0.73) + " -ac 2 -c:a flac";
    recipes_["mono.wav"] = Tone(48000, 0.5) + " -ac 1 -c:a pcm_s16le";
    recipes_["mono.mp3"] = Tone(48000, 0.5) + " -ac 1 -c:a libmp3lame -b:a 64k";
    recipes_["long.mp3"] = Tone(48000, 2.0) + " -ac 2 -c:a libmp3lame -b:a 128k";
    recipes_["t1000.aac"] = Tone(48000, 1.0) + " -ac 2 -c:a aac -b:a 128k";
    recipes_["surround.flac"] = Tone(48000, 0.5) + " -ac 6 -c:a flac";
    recipes_["video.mkv"] = "-f lavfi -i color=c=black:s=16x16:d=0.1 -c:v ffv1";
  }

  testfiles::TempDir tmp_;  // removed with the fixtures at exit
  std::string dir_;
  std::map<std::string, std::string> recipes_;
};

// A whole track decoded in reads of `chunk` samples.
struct Decoded {
  std::vector<int16_t> samples;  // interleaved stereo
  DecodeStatus last = DecodeStatus::kOk;
  std::string error;
  int64_t position = 0;
  int64_t frames() const { return static_cast<int64_t>(samples.size() / 2); }
};

Decoded ReadAll(Decoder& decoder, int chunk) {
  Decoded d;
  std::vector<int16_t> buf(static_cast<size_t>(chunk) * 2);
  for (int guard = 0; guard < 1'000'000; ++guard) {
    int got = -1;
    d.last = decoder.Read(buf.data(), chunk, &got, &d.error);
    d.samples.insert(d.samples.end(), buf.begin(), buf.begin() + got * 2);
    if (d.last != DecodeStatus::kOk) break;
    EXPECT_EQ(got, chunk);
  }
  d.position = decoder.position_samples();
  return d;
}

Decoded DecodeFile(const std::string& path, int chunk = 960) {
  std::string error;
  auto decoder = Decoder::Open(path, kTimeoutMs, &error);
  EXPECT_NE(decoder, nullptr) << path << ": " << error;
  if (decoder == nullptr) return {};
  return ReadAll(*decoder, chunk);
}

double Rms(const std::vector<int16_t>& s, size_t first_frame, size_t frames) {
  double sum = 0;
  for (size_t i = first_frame * 2; i < (first_frame + frames) * 2 && i < s.size(); ++i) {
    sum += static_cast<double>(s[i]) * s[i];
  }
  return std::sqrt(sum / static_cast<double>(frames * 2));
}

// The longest run of stereo samples with both channels exactly zero.
int LongestSilence(const std::vector<int16_t>& s) {
  int longest = 0;
  int run = 0;
  for (size_t i = 0; i + 1 < s.size(); i += 2) {
    run = (s[i] == 0 && s[i + 1] == 0) ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

std::vector<char> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteBytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class DecoderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Fixtures::Get().ok()) << "no temporary directory"; }
  static std::string Path(const std::string& name) { return Fixtures::Get().Path(name); }
};

// ---- Gapless: every format yields exactly the source's samples, audible edge to edge. ----

struct GaplessCase {
  std::string ext;
  int ms;
};

void PrintTo(const GaplessCase& c, std::ostream* os) { *os << c.ext << " " << c.ms << " ms"; }

class DecoderGaplessTest : public DecoderTest, public ::testing::WithParamInterface<GaplessCase> {};

TEST_P(DecoderGaplessTest, ExactLengthAudibleEdgesNoDropouts) {
  const GaplessCase& c = GetParam();
  const std::string path = Path("t" + std::to_string(c.ms) + "." + c.ext);
  std::string error;
  auto decoder = Decoder::Open(path, kTimeoutMs, &error);
  ASSERT_NE(decoder, nullptr) << error;
  // The container's length; MP3 counts its whole frames (delay and padding included).
  EXPECT_NEAR(decoder->duration_ms(), c.ms, c.ext == "mp3" ? 40 : 0);
  EXPECT_EQ(decoder->position_samples(), 0);
  const Decoded d = ReadAll(*decoder, 960);
  EXPECT_EQ(d.last, DecodeStatus::kEndOfStream) << d.error;
  const int64_t expected = int64_t{48} * c.ms;  // 48000 or 35040
  EXPECT_EQ(d.frames(), expected) << c.ext;
  EXPECT_EQ(d.position, expected);
  ASSERT_GE(d.frames(), 480);
  // The tone's RMS is about 1950 per channel; priming or padding would be near 0.
  EXPECT_GT(Rms(d.samples, 0, 240), 1000) << "first 5 ms";
  EXPECT_GT(Rms(d.samples, static_cast<size_t>(d.frames()) - 240, 240), 1000) << "last 5 ms";
  EXPECT_LE(LongestSilence(d.samples), 3);
  // After the end, the decoder stays at its end.
  int16_t buf[2 * 16];
  int got = -1;
  EXPECT_EQ(decoder->Read(buf, 16, &got, &error), DecodeStatus::kEndOfStream);
  EXPECT_EQ(got, 0);
}

std::vector<GaplessCase> GaplessCases() {
  std::vector<GaplessCase> cases;
  for (const auto& format : Formats()) {
    cases.push_back({format.first, 1000});
    cases.push_back({format.first, 730});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(DecoderFormats, DecoderGaplessTest, ::testing::ValuesIn(GaplessCases()),
                         [](const ::testing::TestParamInfo<GaplessCase>& info) {
                           return info.param.ext + "_" + std::to_string(info.param.ms) + "ms";
                         });

TEST_F(DecoderTest, RawAdtsIsNotClampedToAGuess) {
  // Raw ADTS records no length (its duration is a bitrate estimate), so nothing is cut: the
  // encoder's priming and padding stay (a known limit of the format).
  const Decoded d = DecodeFile(Path("t1000.aac"));
  EXPECT_EQ(d.last, DecodeStatus::kEndOfStream);
  EXPECT_GE(d.frames(), 48000);
  EXPECT_LE(d.frames(), 48000 + 2048);
}

// ---- Resampling and channel conversion. ----

TEST_F(DecoderTest, ResamplesFrom44100) {
  struct Case {
    const char* name;
    int64_t source_samples;
  };
  for (const Case& c : {Case{"r44.wav", 44100}, Case{"r44.mp3", 44100}, Case{"r44.flac", 32193}}) {
    const Decoded d = DecodeFile(Path(c.name));
    const int64_t expected = std::llround(static_cast<double>(c.source_samples) * 48000 / 44100);
    EXPECT_NEAR(d.frames(), expected, 2) << c.name;
    EXPECT_EQ(d.last, DecodeStatus::kEndOfStream) << c.name;
    ASSERT_GT(d.frames(), 480) << c.name;
    EXPECT_GT(Rms(d.samples, 0, 240), 1000) << c.name;
    EXPECT_GT(Rms(d.samples, static_cast<size_t>(d.frames()) - 240, 240), 1000) << c.name;
    EXPECT_LE(LongestSilence(d.samples), 3) << c.name;
  }
}

TEST_F(DecoderTest, MonoComesOutOnBothChannelsAtItsOwnLevel) {
  const Decoded wav = DecodeFile(Path("mono.wav"));
  ASSERT_EQ(wav.frames(), 24000);
  // The PCM source's own samples, duplicated: the first is sin(0) = 0, the next ones rise.
  const std::vector<char> bytes = ReadBytes(Path("mono.wav"));
  ASSERT_GT(bytes.size(), 44u + 48000u);
  int16_t source[100];
  std::memcpy(source, bytes.data() + bytes.size() - 48000, sizeof(source));  // the data chunk
  for (int i = 0; i < 100; ++i) EXPECT_EQ(wav.samples[static_cast<size_t>(i) * 2], source[i]) << i;
  const Decoded mp3 = DecodeFile(Path("mono.mp3"));
  EXPECT_EQ(mp3.frames(), 24000);
  for (const Decoded* d : {&wav, &mp3}) {
    int differ = 0;
    for (size_t i = 0; i + 1 < d->samples.size(); i += 2)
      differ += d->samples[i] != d->samples[i + 1];
    EXPECT_EQ(differ, 0);
    // The mono tone's RMS is ~2900; libswresample's default upmix would make it ~2050 (-3 dB).
    EXPECT_GT(Rms(d->samples, 1000, 4800), 2600);
  }
}

TEST_F(DecoderTest, SurroundIsDownmixedToStereo) {
  std::string error;
  auto decoder = Decoder::Open(Path("surround.flac"), kTimeoutMs, &error);
  ASSERT_NE(decoder, nullptr) << error;
  const Decoded d = ReadAll(*decoder, 960);
  EXPECT_EQ(d.frames(), 24000);
  ASSERT_EQ(d.frames(), 24000);
  // Six copies of the tone folded into two, normalised so nothing clips: quieter, not silent.
  EXPECT_GT(Rms(d.samples, 1000, 4800), 400);
  int peak = 0;
  for (int16_t v : d.samples) peak = std::max(peak, std::abs(static_cast<int>(v)));
  EXPECT_LT(peak, 32767);  // normalised, not clipped
  EXPECT_LE(LongestSilence(d.samples), 3);
}

// ---- Seeking. ----

// Seeks to each target (in the order given) and compares what follows with the full decode;
// `tolerance` is the largest sample difference accepted (0: identical).
void ExpectSeeksMatch(const std::string& path, const std::vector<int64_t>& targets_ms,
                      int tolerance) {
  const Decoded full = DecodeFile(path);
  std::string error;
  auto decoder = Decoder::Open(path, kTimeoutMs, &error);
  ASSERT_NE(decoder, nullptr) << error;
  std::vector<int16_t> buf(2 * 1500);
  int got = 0;
  ASSERT_EQ(decoder->Read(buf.data(), 700, &got, &error), DecodeStatus::kOk);  // not at the start
  for (int64_t ms : targets_ms) {
    SCOPED_TRACE(path + " @" + std::to_string(ms) + " ms");
    ASSERT_TRUE(decoder->SeekMs(ms, &error)) << error;
    const int64_t target = ms * 48;
    EXPECT_EQ(decoder->position_samples(), target);
    const int want = static_cast<int>(std::min<int64_t>(1500, full.frames() - target));
    const DecodeStatus status = decoder->Read(buf.data(), want, &got, &error);
    ASSERT_NE(status, DecodeStatus::kError) << error;
    ASSERT_EQ(got, want);
    int worst = 0;
    int worst_at = -1;
    for (int i = 0; i < want * 2; ++i) {
      const int diff =
          std::abs(buf[static_cast<size_t>(i)] - full.samples[static_cast<size_t>(target * 2 + i)]);
      if (diff > worst) {
        worst = diff;
        worst_at = i / 2;
      }
    }
    EXPECT_LE(worst, tolerance) << "at sample " << worst_at << " after the target";
    EXPECT_EQ(decoder->position_samples(), target + want);
  }
}

TEST_F(DecoderTest, SeekIsSampleExactOnWavAndFlac) {
  const std::vector<int64_t> targets = {500, 123, 0, 1, 777, 960, 21};
  ExpectSeeksMatch(Path("t1000.wav"), targets, 0);
  ExpectSeeksMatch(Path("t1000.flac"), targets, 0);
}

TEST_F(DecoderTest, SeekOnMp3IsPositionExact) {
  ExpectSeeksMatch(Path("long.mp3"), {1500, 123, 0, 7, 999, 1880}, 0);
}

TEST_F(DecoderTest, SeekOnLossyCodecsLandsOnTheSameSamples) {
  // Vorbis decodes to identical samples after the pre-roll. The AAC decoder keeps a state that
  // differs by at most one LSB after a seek; Opus (CELT's noise generator, energy predictor) by a
  // few LSBs. A sample off would differ by hundreds (the 440 Hz tone moves ~240 per sample).
  ExpectSeeksMatch(Path("t1000.ogg"), {500, 123, 0, 3, 690, 210}, 0);
  ExpectSeeksMatch(Path("t730.ogg"), {500, 123, 0, 3, 690}, 0);
  ExpectSeeksMatch(Path("t1000.m4a"), {500, 123, 0, 3, 690, 210}, 1);
  ExpectSeeksMatch(Path("t1000.opus"), {500, 123, 0, 3, 690, 210}, 16);
}

TEST_F(DecoderTest, SeekWhenResamplingLandsOnTheSameSamples) {
  // The resampler restarts on a source sample that maps to a whole output sample, ahead of the
  // target, so the output after the seek is the full decode's.
  ExpectSeeksMatch(Path("r44.wav"), {500, 123, 0, 901, 7}, 0);
  ExpectSeeksMatch(Path("r44.mp3"), {500, 123, 0, 901, 7}, 0);
}

TEST_F(DecoderTest, SeekRightAfterOpenAndPastTheEnd) {
  std::string error;
  auto decoder = Decoder::Open(Path("t1000.flac"), kTimeoutMs, &error);
  ASSERT_NE(decoder, nullptr) << error;
  ASSERT_TRUE(decoder->SeekMs(250, &error)) << error;
  EXPECT_EQ(decoder->position_samples(), 12000);
  const Decoded rest = ReadAll(*decoder, 960);
  EXPECT_EQ(rest.frames(), 36000);
  EXPECT_EQ(rest.position, 48000);
  ASSERT_TRUE(decoder->SeekMs(5000, &error)) << error;
  int16_t buf[2 * 10];
  int got = -1;
  EXPECT_EQ(decoder->Read(buf, 10, &got, &error), DecodeStatus::kEndOfStream);
  EXPECT_EQ(got, 0);
  // And back from the end.
  ASSERT_TRUE(decoder->SeekMs(990, &error)) << error;
  EXPECT_EQ(decoder->position_samples(), 47520);
  EXPECT_EQ(ReadAll(*decoder, 100).frames(), 480);
}

// ---- Read sizes do not change the output. ----

TEST_F(DecoderTest, ChunkSizeDoesNotChangeTheOutput) {
  for (const char* name : {"t730.mp3", "t730.m4a", "t730.ogg", "r44.flac"}) {
    const Decoded by_frame = DecodeFile(Path(name), 960);
    ASSERT_GT(by_frame.frames(), 0) << name;
    for (int chunk : {1, 4097, 35041}) {
      const Decoded other = DecodeFile(Path(name), chunk);
      EXPECT_EQ(other.samples, by_frame.samples) << name << " in reads of " << chunk;
      EXPECT_EQ(other.last, DecodeStatus::kEndOfStream);
    }
  }
}

// ---- Bad input. ----

TEST_F(DecoderTest, RejectsWhatIsNotAudio) {
  const std::string text = Path("notes.txt");
  WriteBytes(text, std::vector<char>(std::begin("hello, this is not audio\n"),
                                     std::end("hello, this is not audio\n") - 1));
  std::mt19937 rng(42);
  std::vector<char> noise(64 * 1024);
  for (char& b : noise) b = static_cast<char>(rng() & 0xff);
  const std::string random = Path("random.bin");
  WriteBytes(random, noise);
  const std::string empty = Path("empty.mp3");
  WriteBytes(empty, {});
  for (const std::string& path : {Path("missing.mp3"), text, random, empty, Path("video.mkv"),
                                  std::string("concat:") + text}) {
    std::string error;
    EXPECT_EQ(Decoder::Open(path, kTimeoutMs, &error), nullptr) << path;
    EXPECT_FALSE(error.empty()) << path;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
  std::string error;
  EXPECT_EQ(Decoder::Open(Path("video.mkv"), kTimeoutMs, &error), nullptr);
  EXPECT_EQ(error, "no audio stream");
}

TEST_F(DecoderTest, TruncatedFilesEndEarlyWithoutCrashing) {
  struct Case {
    const char* name;
    int64_t min_frames;  // what half the bytes surely hold (FLAC: an 8 KiB header, big frames)
    int64_t max_frames;  // the whole file
    bool must_open;      // false: libavformat 5.1 refuses half a file (the MP4 index and the
                         // Ogg length probe are at the end)
  };
  for (const Case& c : {Case{"long.mp3", 40000, 56000, true}, Case{"t1000.wav", 23000, 25000, true},
                        Case{"t1000.flac", 4608, 47999, true}, Case{"t1000.m4a", 1, 47999, false},
                        Case{"t1000.ogg", 1, 47999, false}, Case{"t1000.opus", 1, 47999, false}}) {
    SCOPED_TRACE(c.name);
    const std::vector<char> bytes = ReadBytes(Path(c.name));
    const std::string cut = Path(std::string("cut_") + c.name);
    WriteBytes(cut, std::vector<char>(bytes.begin(), bytes.begin() + bytes.size() / 2));
    std::string error;
    const auto start = std::chrono::steady_clock::now();
    auto decoder = Decoder::Open(cut, kTimeoutMs, &error);
    if (decoder == nullptr) {
      EXPECT_FALSE(c.must_open) << error;
      EXPECT_FALSE(error.empty());
      continue;
    }
    const Decoded d = ReadAll(*decoder, 960);
    EXPECT_NE(d.last, DecodeStatus::kOk);
    EXPECT_GE(d.frames(), c.min_frames);
    EXPECT_LE(d.frames(), c.max_frames);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  }
}

TEST_F(DecoderTest, CorruptPacketsMidFileAreSkipped) {
  std::vector<char> bytes = ReadBytes(Path("long.mp3"));
  std::mt19937 rng(7);
  // Garbage over ~40 ms in the middle (1.0 s into 2.0 s at 128 kb/s).
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 600; ++i) {
    bytes[i] = static_cast<char>(rng() & 0xff);
  }
  WriteBytes(Path("corrupt.mp3"), bytes);
  const Decoded d = DecodeFile(Path("corrupt.mp3"));
  EXPECT_EQ(d.last, DecodeStatus::kEndOfStream) << d.error;
  // The frames the garbage hit are gone, nothing else.
  EXPECT_GT(d.frames(), 96000 - 4800);
  EXPECT_LE(d.frames(), 96000);
  // The tone goes on after the damage.
  EXPECT_GT(Rms(d.samples, 72000, 4800), 1000);
}

// ---- Network. ----

// Serves `body` as HTTP/1.0 (no ranges, so not seekable: a stream) to each connection on a
// loopback port, one at a time; with `stall` it sends half and then holds the connection open.
class TinyHttpServer {
 public:
  TinyHttpServer(std::vector<char> body, bool stall) : body_(std::move(body)), stall_(stall) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(listener_, 4) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyHttpServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (listener_ >= 0) close(listener_);
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/track.mp3"; }
  int port() const { return port_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd pfd{listener_, POLLIN, 0};
      if (poll(&pfd, 1, 20) <= 0) continue;
      const int conn = accept(listener_, nullptr, nullptr);
      if (conn < 0) continue;
      std::string request;
      char buf[1024];
      while (request.find("\r\n\r\n") == std::string::npos) {
        pollfd in{conn, POLLIN, 0};
        if (poll(&in, 1, 1000) <= 0) break;
        const ssize_t got = recv(conn, buf, sizeof(buf), 0);
        if (got <= 0) break;
        request.append(buf, static_cast<size_t>(got));
      }
      const std::string head = "HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\nContent-Length: " +
                               std::to_string(body_.size()) + "\r\n\r\n";
      send(conn, head.data(), head.size(), MSG_NOSIGNAL);
      const size_t size = stall_ ? body_.size() / 2 : body_.size();
      for (size_t sent = 0; sent < size && !stop_;) {
        const ssize_t n = send(conn, body_.data() + sent, size - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      while (stall_ && !stop_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      close(conn);
    }
  }

  std::vector<char> body_;
  bool stall_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_F(DecoderTest, UrlStreamsDecodeGapless) {
  const Decoded file = DecodeFile(Path("t1000.mp3"));
  TinyHttpServer server(ReadBytes(Path("t1000.mp3")), /*stall=*/false);
  ASSERT_NE(server.port(), 0);
  std::string error;
  auto decoder = Decoder::Open(server.Url(), kTimeoutMs, &error);
  ASSERT_NE(decoder, nullptr) << error;
  const Decoded d = ReadAll(*decoder, 960);
  EXPECT_EQ(d.last, DecodeStatus::kEndOfStream) << d.error;
  EXPECT_EQ(d.frames(), 48000);
  EXPECT_EQ(d.samples, file.samples);
  // The stream cannot seek (no ranges): the decoder reconnects and decodes up to the target.
  ASSERT_TRUE(decoder->SeekMs(500, &error)) << error;
  EXPECT_EQ(decoder->position_samples(), 24000);
  const Decoded rest = ReadAll(*decoder, 960);
  ASSERT_EQ(rest.frames(), 24000);
  EXPECT_TRUE(std::equal(rest.samples.begin(), rest.samples.end(), file.samples.begin() + 48000));
}

TEST_F(DecoderTest, UrlReadGivesUpWhenTheServerStalls) {
  TinyHttpServer server(ReadBytes(Path("long.mp3")), /*stall=*/true);
  ASSERT_NE(server.port(), 0);
  std::string error;
  auto decoder = Decoder::Open(server.Url(), 300, &error);
  ASSERT_NE(decoder, nullptr) << error;
  const auto start = std::chrono::steady_clock::now();
  const Decoded d = ReadAll(*decoder, 960);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(d.last, DecodeStatus::kError);
  EXPECT_NE(d.error.find("timed out"), std::string::npos) << d.error;
  EXPECT_GT(d.frames(), 24000);  // the half it got
  EXPECT_LT(d.frames(), 72000);
}

TEST_F(DecoderTest, UrlOpenGivesUpAtTheTimeout) {
  // A server that accepts connections (the kernel completes them) and never answers.
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/a.mp3";

  const auto start = std::chrono::steady_clock::now();
  std::string error;
  EXPECT_EQ(Decoder::Open(url, 300, &error), nullptr);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(error.empty());
  EXPECT_LT(took, std::chrono::milliseconds(2000)) << error;
  close(listener);

  // Nothing listens on port 1: refused at once.
  EXPECT_EQ(Decoder::Open("http://127.0.0.1:1/a.mp3", 300, &error), nullptr);
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace sattva::streamer
