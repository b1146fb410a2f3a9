// The live encoder: Ogg/Opus and MP3 output of a 5 s 440 Hz sine, parsed (whole Ogg pages, whole
// MP3 frames), probed and decoded with libavformat/libavcodec, from the start and from the
// middle (a late joiner), chunk cadence, and use after Finish.
#include "streamer/encoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
}

#include "streamer/audio.h"

namespace sattva::streamer {
namespace {

constexpr int kSeconds = 5;
constexpr int kFrames = kSeconds * 1000 / kFrameMs;  // 250
constexpr double kToneHz = 440.0;
constexpr double kAmplitude = 0.5;  // of full scale
constexpr int kSteadyAfterFrames = 1000 / kFrameMs;
constexpr int kMaxCallsWithoutChunk = 10;

// A stereo sine: frame `index` of a continuous tone.
PcmFrame SineFrame(int index) {
  PcmFrame frame;
  for (int i = 0; i < kFrameSamples; ++i) {
    const double t = static_cast<double>(index * kFrameSamples + i) / kSampleRate;
    const auto v =
        static_cast<int16_t>(std::lround(kAmplitude * 32767 * std::sin(2 * M_PI * kToneHz * t)));
    frame.samples[2 * i] = v;
    frame.samples[2 * i + 1] = v;
  }
  return frame;
}

struct Encoded {
  std::string header;
  std::vector<std::string> chunks;
  std::vector<int> chunk_frames;  // frames encoded when each chunk came out
  int chunks_from_finish = 0;
  // The longest run of consecutive Encode calls without a chunk, after the first second.
  int longest_gap = 0;
};

void EncodeSine(LiveFormat format, Encoded* out) {
  std::string error;
  std::unique_ptr<LiveEncoder> encoder = LiveEncoder::Create(format, &error);
  ASSERT_NE(encoder, nullptr) << error;
  EXPECT_EQ(encoder->format(), format);
  out->header = encoder->header();
  int gap = 0;
  for (int i = 0; i < kFrames; ++i) {
    const size_t before = out->chunks.size();
    ASSERT_TRUE(encoder->Encode(SineFrame(i), &out->chunks, &error))
        << "frame " << i << ": " << error;
    out->chunk_frames.resize(out->chunks.size(), i + 1);
    if (out->chunks.size() > before) {
      gap = 0;
    } else if (i >= kSteadyAfterFrames) {
      out->longest_gap = std::max(out->longest_gap, ++gap);
    }
  }
  const size_t before_finish = out->chunks.size();
  encoder->Finish(&out->chunks);
  out->chunk_frames.resize(out->chunks.size(), kFrames);
  out->chunks_from_finish = static_cast<int>(out->chunks.size() - before_finish);
}

std::string Join(const std::string& header, const std::vector<std::string>& chunks, size_t from) {
  std::string all = header;
  for (size_t i = from; i < chunks.size(); ++i) all += chunks[i];
  return all;
}

// --- Ogg pages ---

struct OggPage {
  uint8_t flags = 0;
  int64_t granule = 0;
  uint32_t sequence = 0;
  int packets_ended = 0;  // lacing values < 255
  std::string body;
};

// Splits `data` into pages; false if it is not exactly a sequence of whole pages.
bool ParseOggPages(const std::string& data, std::vector<OggPage>* pages) {
  size_t at = 0;
  while (at < data.size()) {
    if (data.size() - at < 27 || data.compare(at, 4, "OggS") != 0) return false;
    const auto* p = reinterpret_cast<const uint8_t*>(data.data() + at);
    OggPage page;
    page.flags = p[5];
    uint64_t granule = 0;
    for (int i = 7; i >= 0; --i) granule = (granule << 8) | p[6 + i];
    page.granule = static_cast<int64_t>(granule);
    page.sequence = p[18] | (p[19] << 8) | (p[20] << 16) | (static_cast<uint32_t>(p[21]) << 24);
    const size_t segments = p[26];
    if (data.size() - at < 27 + segments) return false;
    size_t body = 0;
    for (size_t i = 0; i < segments; ++i) {
      body += p[27 + i];
      if (p[27 + i] < 255) ++page.packets_ended;
    }
    if (data.size() - at < 27 + segments + body) return false;
    page.body = data.substr(at + 27 + segments, body);
    pages->push_back(std::move(page));
    at += 27 + segments + body;
  }
  return true;
}

// --- MP3 frames ---

struct Mp3Frame {
  int bitrate_kbps = 0;
  int sample_rate = 0;
  int main_data_begin = -1;  // 0: the frame uses no bits of earlier frames
  size_t length = 0;
};

// Parses the MPEG-1 Layer III frame header at `data[at]`; false if there is none.
bool ParseMp3Frame(const std::string& data, size_t at, Mp3Frame* frame) {
  static constexpr int kBitratesKbps[16] = {0,   32,  40,  48,  56,  64,  80,  96,
                                            112, 128, 160, 192, 224, 256, 320, 0};
  static constexpr int kSampleRates[4] = {44100, 48000, 32000, 0};
  if (data.size() - at < 6) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data() + at);
  if (p[0] != 0xFF || (p[1] & 0xE0) != 0xE0) return false;             // frame sync
  if (((p[1] >> 3) & 3) != 3 || ((p[1] >> 1) & 3) != 1) return false;  // MPEG-1, Layer III
  const bool has_crc = (p[1] & 1) == 0;
  frame->bitrate_kbps = kBitratesKbps[p[2] >> 4];
  frame->sample_rate = kSampleRates[(p[2] >> 2) & 3];
  if (frame->bitrate_kbps == 0 || frame->sample_rate == 0) return false;
  const int padding = (p[2] >> 1) & 1;
  frame->length = 144 * frame->bitrate_kbps * 1000 / frame->sample_rate + padding;
  const uint8_t* side_info = p + 4 + (has_crc ? 2 : 0);
  frame->main_data_begin = (side_info[0] << 1) | (side_info[1] >> 7);
  return true;
}

// Splits `data` into frames; false if it is not exactly a sequence of whole MP3 frames.
bool ParseMp3Frames(const std::string& data, std::vector<Mp3Frame>* frames) {
  size_t at = 0;
  while (at < data.size()) {
    Mp3Frame frame;
    if (!ParseMp3Frame(data, at, &frame) || data.size() - at < frame.length) return false;
    frames->push_back(frame);
    at += frame.length;
  }
  return true;
}

// --- Probing and decoding with libavformat/libavcodec ---

std::atomic<int> g_logged_errors{0};

void CountingLogCallback(void* avcl, int level, const char* fmt, va_list args) {
  if (level <= AV_LOG_ERROR) ++g_logged_errors;
  av_log_default_callback(avcl, level, fmt, args);
}

// Counts what libav* logs as errors while it lives.
class LibavErrorCounter {
 public:
  LibavErrorCounter() {
    g_logged_errors = 0;
    av_log_set_callback(&CountingLogCallback);
  }
  ~LibavErrorCounter() { av_log_set_callback(&av_log_default_callback); }
  int errors() const { return g_logged_errors; }
};

struct FormatInputDeleter {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct CodecDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};

struct Decoded {
  std::string codec;
  int sample_rate = 0;
  int channels = 0;
  double duration_s = 0;  // the container's
  int64_t samples = 0;    // decoded, per channel
  int failures = 0;       // send/receive calls that failed
  int logged_errors = 0;  // errors libav* logged while probing and decoding
  double rms = 0;         // of the left channel
  double first_rms = 0;   // of the left channel's first kFirstSamples
  int64_t zero_crossings = 0;

  double decoded_s() const { return static_cast<double>(samples) / kSampleRate; }
};

// Samples at the start of a decode whose level says whether the first frame decoded.
constexpr int64_t kFirstSamples = 1152;

// The left channel's sample `i` of `frame` as a float in [-1, 1].
float LeftSample(const AVFrame& frame, int i) {
  switch (frame.format) {
    case AV_SAMPLE_FMT_FLTP:
      return reinterpret_cast<const float*>(frame.data[0])[i];
    case AV_SAMPLE_FMT_FLT:
      return reinterpret_cast<const float*>(frame.data[0])[i * frame.ch_layout.nb_channels];
    case AV_SAMPLE_FMT_S16P:
      return reinterpret_cast<const int16_t*>(frame.data[0])[i] / 32768.0f;
    case AV_SAMPLE_FMT_S16:
      return reinterpret_cast<const int16_t*>(frame.data[0])[i * frame.ch_layout.nb_channels] /
             32768.0f;
    default:
      ADD_FAILURE() << "unexpected sample format " << frame.format;
      return 0;
  }
}

// Writes `bytes` to a temp file, probes it and decodes all of it.
void ProbeAndDecode(const std::string& bytes, Decoded* out) {
  const std::string path =
      testing::TempDir() + "/sattva_encoder_test_" + std::to_string(getpid()) + ".bin";
  {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(file.good()) << path;
  }
  struct RemoveOnExit {
    std::string path;
    ~RemoveOnExit() { std::remove(path.c_str()); }
  } cleanup{path};

  LibavErrorCounter log_errors;
  AVFormatContext* raw_format = nullptr;
  ASSERT_GE(avformat_open_input(&raw_format, path.c_str(), nullptr, nullptr), 0);
  std::unique_ptr<AVFormatContext, FormatInputDeleter> format(raw_format);
  ASSERT_GE(avformat_find_stream_info(format.get(), nullptr), 0);
  const int stream_index =
      av_find_best_stream(format.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  ASSERT_GE(stream_index, 0);
  const AVStream* stream = format->streams[stream_index];
  out->codec = avcodec_get_name(stream->codecpar->codec_id);
  out->sample_rate = stream->codecpar->sample_rate;
  out->channels = stream->codecpar->ch_layout.nb_channels;
  out->duration_s = format->duration == AV_NOPTS_VALUE
                        ? -1
                        : static_cast<double>(format->duration) / AV_TIME_BASE;

  const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
  ASSERT_NE(codec, nullptr);
  std::unique_ptr<AVCodecContext, CodecDeleter> decoder(avcodec_alloc_context3(codec));
  ASSERT_NE(decoder, nullptr);
  ASSERT_GE(avcodec_parameters_to_context(decoder.get(), stream->codecpar), 0);
  decoder->pkt_timebase = stream->time_base;
  ASSERT_GE(avcodec_open2(decoder.get(), codec, nullptr), 0);
  std::unique_ptr<AVPacket, PacketDeleter> packet(av_packet_alloc());
  std::unique_ptr<AVFrame, FrameDeleter> frame(av_frame_alloc());
  ASSERT_NE(packet, nullptr);
  ASSERT_NE(frame, nullptr);

  double sum_squares = 0;
  double first_sum_squares = 0;
  int sign = 0;  // with hysteresis, so noise around zero does not count as crossings
  auto drain = [&] {
    while (true) {
      const int rc = avcodec_receive_frame(decoder.get(), frame.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) {
        ++out->failures;
        return;
      }
      for (int i = 0; i < frame->nb_samples; ++i) {
        const float v = LeftSample(*frame, i);
        sum_squares += static_cast<double>(v) * v;
        if (out->samples + i < kFirstSamples) first_sum_squares += static_cast<double>(v) * v;
        const int s = v > 0.05f ? 1 : v < -0.05f ? -1 : sign;
        if (sign != 0 && s != sign) ++out->zero_crossings;
        sign = s;
      }
      out->samples += frame->nb_samples;
      av_frame_unref(frame.get());
    }
  };
  while (av_read_frame(format.get(), packet.get()) >= 0) {
    if (packet->stream_index == stream_index) {
      if (avcodec_send_packet(decoder.get(), packet.get()) < 0) ++out->failures;
      drain();
    }
    av_packet_unref(packet.get());
  }
  avcodec_send_packet(decoder.get(), nullptr);
  drain();
  out->rms = out->samples > 0 ? std::sqrt(sum_squares / static_cast<double>(out->samples)) : 0;
  out->first_rms = std::sqrt(first_sum_squares / kFirstSamples);
  out->logged_errors = log_errors.errors();
}

// A decoded sine of `seconds`: the tone, at its level, with no errors.
void ExpectTone(const Decoded& d, double seconds) {
  EXPECT_EQ(d.failures, 0);
  EXPECT_EQ(d.logged_errors, 0);
  EXPECT_NEAR(d.rms, kAmplitude / std::sqrt(2.0), 0.05);
  EXPECT_NEAR(static_cast<double>(d.zero_crossings), 2 * kToneHz * seconds,
              0.02 * 2 * kToneHz * seconds + 2);
}

// --- Tests ---

TEST(EncoderNames, ContentTypeAndFormatName) {
  EXPECT_STREQ(ContentType(LiveFormat::kOggOpus), "audio/ogg");
  EXPECT_STREQ(ContentType(LiveFormat::kMp3), "audio/mpeg");
  EXPECT_STREQ(FormatName(LiveFormat::kOggOpus), "ogg");
  EXPECT_STREQ(FormatName(LiveFormat::kMp3), "mp3");
}

TEST(OggOpusEncoder, HeaderIsTheOpusHeadAndOpusTagsPages) {
  std::string error;
  std::unique_ptr<LiveEncoder> encoder = LiveEncoder::Create(LiveFormat::kOggOpus, &error);
  ASSERT_NE(encoder, nullptr) << error;
  const std::string& header = encoder->header();
  ASSERT_EQ(header.compare(0, 4, "OggS"), 0);
  EXPECT_NE(header.find("OpusHead"), std::string::npos);
  EXPECT_NE(header.find("OpusTags"), std::string::npos);
  std::vector<OggPage> pages;
  ASSERT_TRUE(ParseOggPages(header, &pages));
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[0].flags, 0x02);  // beginning of stream
  EXPECT_EQ(pages[0].body.compare(0, 8, "OpusHead"), 0);
  EXPECT_EQ(pages[1].flags, 0);
  EXPECT_EQ(pages[1].body.compare(0, 8, "OpusTags"), 0);
  EXPECT_EQ(pages[0].granule, 0);
  EXPECT_EQ(pages[1].granule, 0);
  // OpusHead: version 1, 2 channels, 48 kHz input rate.
  const auto* head = reinterpret_cast<const uint8_t*>(pages[0].body.data());
  ASSERT_GE(pages[0].body.size(), 19u);
  EXPECT_EQ(head[8], 1);
  EXPECT_EQ(head[9], kChannels);
  EXPECT_EQ(head[12] | (head[13] << 8) | (head[14] << 16) | (head[15] << 24), kSampleRate);
}

TEST(OggOpusEncoder, ChunksAreWholeShortPagesOfAValidStream) {
  Encoded e;
  ASSERT_NO_FATAL_FAILURE(EncodeSine(LiveFormat::kOggOpus, &e));
  ASSERT_GT(e.chunks.size(), 10u);
  std::vector<OggPage> header_pages;
  ASSERT_TRUE(ParseOggPages(e.header, &header_pages));

  uint32_t next_sequence = static_cast<uint32_t>(header_pages.size());
  int64_t previous_granule = 0;
  int64_t longest_page = 0;
  size_t pages_total = 0;
  size_t smallest_chunk = SIZE_MAX, largest_chunk = 0;
  for (size_t i = 0; i < e.chunks.size(); ++i) {
    const std::string& chunk = e.chunks[i];
    largest_chunk = std::max(largest_chunk, chunk.size());
    smallest_chunk = std::min(smallest_chunk, chunk.size());
    ASSERT_EQ(chunk.compare(0, 4, "OggS"), 0) << "chunk " << i;
    std::vector<OggPage> pages;
    ASSERT_TRUE(ParseOggPages(chunk, &pages)) << "chunk " << i << " is not whole pages";
    ASSERT_FALSE(pages.empty());
    for (const OggPage& page : pages) {
      EXPECT_EQ(page.sequence, next_sequence++) << "a page is missing or repeated";
      EXPECT_GT(page.granule, previous_granule);
      const bool last = i + 1 == e.chunks.size() && &page == &pages.back();
      if (!last) longest_page = std::max(longest_page, page.granule - previous_granule);
      EXPECT_EQ((page.flags & 0x04) != 0, last) << "only the last page ends the stream";
      previous_granule = page.granule;
      ++pages_total;
    }
    // The muxer holds nothing back: a page is out as soon as its last packet is encoded (the
    // granule counts input samples; libopus's own look-ahead is in the pre-skip).
    if (i + 1 < e.chunks.size()) {
      EXPECT_GE(pages.back().granule, int64_t{e.chunk_frames[i]} * kFrameSamples - kFrameSamples)
          << "chunk " << i;
    }
  }
  // Short pages: a listener starts within ~100 ms of audio (the muxer's default is 1 s).
  EXPECT_LE(longest_page, kSampleRate / 10);
  std::cout << "ogg: " << e.chunks.size() << " chunks, " << pages_total << " pages, chunk bytes "
            << smallest_chunk << ".." << largest_chunk << ", longest page "
            << longest_page * 1000 / kSampleRate << " ms, longest gap " << e.longest_gap
            << " calls\n";

  Decoded d;
  ASSERT_NO_FATAL_FAILURE(ProbeAndDecode(Join(e.header, e.chunks, 0), &d));
  EXPECT_EQ(d.codec, "opus");
  EXPECT_EQ(d.sample_rate, kSampleRate);
  EXPECT_EQ(d.channels, kChannels);
  EXPECT_NEAR(d.duration_s, kSeconds, 0.1);
  EXPECT_NEAR(d.decoded_s(), kSeconds, 0.1);
  ExpectTone(d, kSeconds);
}

TEST(OggOpusEncoder, LateJoinerGetsAValidStream) {
  Encoded e;
  ASSERT_NO_FATAL_FAILURE(EncodeSine(LiveFormat::kOggOpus, &e));
  const size_t middle = e.chunks.size() / 2;
  std::vector<OggPage> before;
  ASSERT_TRUE(ParseOggPages(e.chunks[middle - 1], &before));
  const double joined_at_s = static_cast<double>(before.back().granule) / kSampleRate;

  Decoded d;
  ASSERT_NO_FATAL_FAILURE(ProbeAndDecode(Join(e.header, e.chunks, middle), &d));
  EXPECT_EQ(d.codec, "opus");
  EXPECT_EQ(d.sample_rate, kSampleRate);
  EXPECT_EQ(d.channels, kChannels);
  EXPECT_NEAR(d.decoded_s(), kSeconds - joined_at_s, 0.1);
  ExpectTone(d, d.decoded_s());
}

TEST(Mp3Encoder, ChunksAreWholeSelfContainedFramesOfAValidStream) {
  Encoded e;
  ASSERT_NO_FATAL_FAILURE(EncodeSine(LiveFormat::kMp3, &e));
  EXPECT_TRUE(e.header.empty());
  ASSERT_GT(e.chunks.size(), 10u);
  size_t frames_total = 0;
  for (size_t i = 0; i < e.chunks.size(); ++i) {
    const std::string& chunk = e.chunks[i];
    ASSERT_GE(chunk.size(), 2u);
    ASSERT_EQ(static_cast<uint8_t>(chunk[0]), 0xFF) << "chunk " << i;
    ASSERT_EQ(static_cast<uint8_t>(chunk[1]) & 0xE0, 0xE0) << "chunk " << i;
    std::vector<Mp3Frame> frames;
    ASSERT_TRUE(ParseMp3Frames(chunk, &frames)) << "chunk " << i << " is not whole frames";
    for (const Mp3Frame& frame : frames) {
      EXPECT_EQ(frame.bitrate_kbps, 128);  // CBR
      EXPECT_EQ(frame.sample_rate, kSampleRate);
      EXPECT_EQ(frame.main_data_begin, 0) << "chunk " << i << " leans on the bit reservoir";
    }
    frames_total += frames.size();
  }
  // No Xing/Info/LAME tag frame and no ID3: the first frame is audio.
  const std::string first = e.chunks[0].substr(0, 384);
  for (const char* tag : {"Xing", "Info", "LAME", "ID3"}) {
    EXPECT_EQ(first.find(tag), std::string::npos) << tag;
  }
  std::cout << "mp3: " << e.chunks.size() << " chunks, " << frames_total << " frames of "
            << e.chunks[0].size() << " bytes, longest gap " << e.longest_gap << " calls\n";

  Decoded d;
  ASSERT_NO_FATAL_FAILURE(ProbeAndDecode(Join("", e.chunks, 0), &d));
  EXPECT_EQ(d.codec, "mp3");
  EXPECT_EQ(d.sample_rate, kSampleRate);
  EXPECT_EQ(d.channels, kChannels);
  EXPECT_NEAR(d.duration_s, kSeconds, 0.1);
  EXPECT_NEAR(d.decoded_s(), kSeconds, 0.1);  // plus the encoder delay, rounded up to frames
  ExpectTone(d, kSeconds);
}

TEST(Mp3Encoder, LateJoinerDecodesWithoutErrors) {
  Encoded e;
  ASSERT_NO_FATAL_FAILURE(EncodeSine(LiveFormat::kMp3, &e));
  const size_t middle = e.chunks.size() / 2;
  size_t frames_after = 0;
  for (size_t i = middle; i < e.chunks.size(); ++i) {
    std::vector<Mp3Frame> frames;
    ASSERT_TRUE(ParseMp3Frames(e.chunks[i], &frames));
    frames_after += frames.size();
  }
  Decoded d;
  ASSERT_NO_FATAL_FAILURE(ProbeAndDecode(Join("", e.chunks, middle), &d));
  EXPECT_EQ(d.codec, "mp3");
  EXPECT_EQ(d.sample_rate, kSampleRate);
  EXPECT_EQ(d.channels, kChannels);
  // Every frame decodes: with the bit reservoir, the first frames would be lost with errors.
  EXPECT_EQ(d.samples, static_cast<int64_t>(frames_after) * 1152);
  // ... and the first one carries the tone (after the decoder's ~529-sample filterbank ramp):
  // with the bit reservoir its main data would be in frames the joiner never got (silence).
  EXPECT_GT(d.first_rms, 0.15);
  ExpectTone(d, d.decoded_s());
}

TEST(LiveEncoder, ChunksArriveSteadily) {
  for (LiveFormat format : {LiveFormat::kOggOpus, LiveFormat::kMp3}) {
    SCOPED_TRACE(FormatName(format));
    Encoded e;
    ASSERT_NO_FATAL_FAILURE(EncodeSine(format, &e));
    EXPECT_LE(e.longest_gap, kMaxCallsWithoutChunk);
    EXPECT_GE(e.chunks_from_finish, 1) << "Finish flushes what the encoder buffered";
  }
}

TEST(LiveEncoder, EncodeAfterFinishIsRefused) {
  for (LiveFormat format : {LiveFormat::kOggOpus, LiveFormat::kMp3}) {
    SCOPED_TRACE(FormatName(format));
    std::string error;
    std::unique_ptr<LiveEncoder> encoder = LiveEncoder::Create(format, &error);
    ASSERT_NE(encoder, nullptr) << error;
    std::vector<std::string> chunks;
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(encoder->Encode(SineFrame(i), &chunks, &error));
    encoder->Finish(&chunks);
    const size_t after_finish = chunks.size();
    encoder->Finish(&chunks);  // a second Finish adds nothing
    EXPECT_EQ(chunks.size(), after_finish);
    error.clear();
    EXPECT_FALSE(encoder->Encode(SineFrame(10), &chunks, &error));
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(chunks.size(), after_finish);
  }
}

TEST(LiveEncoder, FinishWithoutFramesIsHarmless) {
  for (LiveFormat format : {LiveFormat::kOggOpus, LiveFormat::kMp3}) {
    SCOPED_TRACE(FormatName(format));
    std::string error;
    std::unique_ptr<LiveEncoder> encoder = LiveEncoder::Create(format, &error);
    ASSERT_NE(encoder, nullptr) << error;
    std::vector<std::string> chunks;
    encoder->Finish(&chunks);
    for (const std::string& chunk : chunks) {
      if (format == LiveFormat::kOggOpus) {
        std::vector<OggPage> pages;
        EXPECT_TRUE(ParseOggPages(chunk, &pages));
      }
    }
  }
}

}  // namespace
}  // namespace sattva::streamer
