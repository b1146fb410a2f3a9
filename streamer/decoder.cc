// The Decoder: libavformat demuxes, libavcodec decodes, libswresample converts to 48 kHz s16
// interleaved stereo.
//
// Sample accounting. Every decoded sample has a source index: its offset, in source samples,
// from the track's first sample (the first one the decoder outputs after the start trim that
// libavcodec applies from AV_PKT_DATA_SKIP_SAMPLES: MP3 LAME delay, Opus pre-skip, MP4 edit
// list priming). The first frame's pts is the origin; after a seek a frame's index comes from its
// pts, otherwise from counting.
//
// End trim. MP3 (LAME/Xing), Opus and FLAC come out exact. AAC in MP4 keeps its end padding and
// Ogg Vorbis is trimmed by libavformat from a start that is wrong when the stream fits in one
// page (it assumes no start offset, then drops real samples at the end). For those two
// containers the stream duration is exact (MP4: edit list; Ogg: last granule), so the output is
// clamped to it and, for Ogg, the demuxer's own end trim is disabled. Nothing is clamped when the
// container does not know the length (raw ADTS, live HTTP).
//
// Seeks. The demuxer goes to a point 200 ms (then 400, 800) before the target, the decoder is
// flushed and its output dropped up to the exact sample; frames are placed by pts. The start of
// the track (and a seek that lands on the stream's first packet) reopens the input instead,
// since demuxers do not re-arm their start trim or first timestamps alike after a seek. When
// resampling, the resampler restarts on a source sample that maps to a whole output sample
// before the target, so the samples after a seek equal those of a full decode.

#include "streamer/decoder.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <mutex>
#include <numeric>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mathematics.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>
}

#include "streamer/audio.h"

namespace sattva::streamer {
namespace {

// Consecutive undecodable packets (or unreadable ones) before the track counts as broken.
constexpr int kMaxConsecutiveErrors = 500;
// Decoded before a seek target so MDCT overlap, the MP3 bit reservoir and Opus pre-roll settle.
constexpr int kSeekPrerollMs = 200;
// Seek attempts, each with twice the pre-roll; the last one decodes from the start.
constexpr int kSeekAttempts = 4;
// Output samples resampled (and dropped) before a seek target, so the resampler's start-up
// transient never reaches the caller.
constexpr int64_t kResampleMarginOut = 128;

struct FormatContextDeleter {
  void operator()(AVFormatContext* ctx) const { avformat_close_input(&ctx); }
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* ctx) const { avcodec_free_context(&ctx); }
};
struct SwrContextDeleter {
  void operator()(SwrContext* ctx) const { swr_free(&ctx); }
};
struct FrameDeleter {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
struct PacketDeleter {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
struct DictionaryDeleter {
  void operator()(AVDictionary* dict) const { av_dict_free(&dict); }
};

using FormatContextPtr = std::unique_ptr<AVFormatContext, FormatContextDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using SwrContextPtr = std::unique_ptr<SwrContext, SwrContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;

std::string AvError(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(err, buf, sizeof(buf)) < 0) return "error " + std::to_string(err);
  return buf;
}

// A read error as one line; the interrupt callback's exit is the deadline passing.
std::string ReadError(int err) {
  return err == AVERROR_EXIT ? "read timed out" : "read failed: " + AvError(err);
}

bool IsUrl(const std::string& source) {
  auto starts_with = [&](const char* prefix) {
    const size_t len = std::strlen(prefix);
    if (source.size() < len) return false;
    for (size_t i = 0; i < len; ++i) {
      if (std::tolower(static_cast<unsigned char>(source[i])) != prefix[i]) return false;
    }
    return true;
  };
  return starts_with("http://") || starts_with("https://");
}

void InitFfmpegOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_level(AV_LOG_QUIET);
    avformat_network_init();
  });
}

// The deadline the interrupt callback enforces; disarmed when timeout_ms <= 0.
struct Deadline {
  bool armed = false;
  std::chrono::steady_clock::time_point at;
};

int InterruptCallback(void* opaque) {
  const auto* deadline = static_cast<const Deadline*>(opaque);
  return deadline->armed && std::chrono::steady_clock::now() > deadline->at ? 1 : 0;
}

class FfmpegDecoder final : public Decoder {
 public:
  FfmpegDecoder() = default;
  ~FfmpegDecoder() override { av_channel_layout_uninit(&swr_layout_); }
  FfmpegDecoder(const FfmpegDecoder&) = delete;
  FfmpegDecoder& operator=(const FfmpegDecoder&) = delete;

  bool Init(const std::string& source, int timeout_ms, std::string* error);

  DecodeStatus Read(int16_t* out, int n, int* got, std::string* error) override;
  bool SeekMs(int64_t ms, std::string* error) override;
  int64_t position_samples() const override { return position_; }
  int64_t duration_ms() const override { return duration_ms_; }

 private:
  enum class State { kRunning, kEnded, kFailed };
  enum class FrameResult { kFrame, kEnd, kError };

  void ArmDeadline();
  // The next decoded frame of the audio stream into frame_, skipping corrupt packets.
  FrameResult NextFrame();
  // Converts frame_'s samples [offset, offset + count) into out_.
  bool Convert(int offset, int count);
  // Builds the resampler for frame_'s format; drains the old one first.
  bool ConfigureResampler(const AVFrame& frame);
  // Drains the resampler's buffered tail into out_.
  bool DrainResampler();
  // Decodes one frame (or the end) and appends its output to out_.
  void DecodeStep();
  // Sets src_pos_ to frame_'s source index (the origin for the first frame, the pts after a
  // seek) and returns it.
  int64_t PlaceFrame();
  // Converts frame_'s samples from source index `from_src` up to the clamp, then advances
  // src_pos_ past the frame.
  bool ConvertFrame(int64_t from_src);
  // Source index of `frame`'s first sample from its pts; false when it has none.
  bool FrameIndex(const AVFrame& frame, int64_t* index) const;
  void Fail(const std::string& why);
  // The input is over: kEnded, or kFailed when a read error ended it.
  void End();
  // Opens source_ into format_/codec_/stream_ (the pipeline state is left alone).
  bool OpenInput(std::string* error);
  // Clears the resampler, pending output and end/error state.
  void ResetPipeline();
  // Opens the source afresh, positioned at its start.
  bool Restart(std::string* error);
  // Positions the demuxer at or before source index `seek_src` with clean decoder state.
  bool SeekBefore(int64_t seek_src, std::string* error);

  Deadline deadline_;  // outlives format_ (declared first, destroyed last)
  std::string source_;
  int timeout_ms_ = 0;
  FormatContextPtr format_;
  CodecContextPtr codec_;
  SwrContextPtr swr_;
  FramePtr frame_;
  PacketPtr packet_;
  AVStream* stream_ = nullptr;
  int stream_index_ = -1;

  // The resampler's input format.
  int swr_rate_ = 0;
  int swr_format_ = -1;
  AVChannelLayout swr_layout_{};

  int sample_rate_ = 0;         // source rate of the stream
  bool clamp_ogg_end_ = false;  // zero the demuxer's end trim (Ogg, clamped)
  int64_t limit_src_ = -1;      // exact length in source samples, -1 when unknown
  bool origin_known_ = false;   // the first frame was placed
  int64_t origin_pts_ = AV_NOPTS_VALUE;
  int64_t src_pos_ = 0;            // source index of the next decoded sample
  bool resync_ = false;            // the next frame's pts sets src_pos_ (after a seek)
  bool decoder_flushing_ = false;  // the end of the packets was sent to the decoder
  int consecutive_errors_ = 0;
  int64_t first_packet_pos_ = -1;  // byte position of the stream's first packet
  bool at_first_packet_ = false;   // a seek landed on it

  std::vector<int16_t> out_;  // converted, not yet returned (interleaved stereo)
  size_t out_read_ = 0;       // int16 values of out_ already returned
  int64_t position_ = 0;
  int64_t duration_ms_ = 0;
  State state_ = State::kRunning;
  std::string error_;
  std::string pending_error_;  // a read error that ended the input, reported after the tail
};

void FfmpegDecoder::ArmDeadline() {
  deadline_.armed = timeout_ms_ > 0;
  deadline_.at = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
}

void FfmpegDecoder::End() {
  if (!pending_error_.empty()) {
    Fail(pending_error_);
  } else if (state_ == State::kRunning) {
    state_ = State::kEnded;
  }
}

void FfmpegDecoder::Fail(const std::string& why) {
  if (state_ == State::kFailed) return;
  state_ = State::kFailed;
  error_ = deadline_.armed && InterruptCallback(&deadline_) ? "timed out" : why;
}

bool FfmpegDecoder::Init(const std::string& source, int timeout_ms, std::string* error) {
  InitFfmpegOnce();
  source_ = source;
  timeout_ms_ = timeout_ms;
  ArmDeadline();
  if (!OpenInput(error)) return false;
  // Decode up to the first samples: sets the pts origin and rejects undecodable input.
  while (out_read_ == out_.size() && state_ == State::kRunning) DecodeStep();
  if (out_read_ == out_.size()) {
    *error = state_ == State::kFailed ? error_ : "no decodable audio";
    return false;
  }
  return true;
}

bool FfmpegDecoder::OpenInput(std::string* error) {
  const bool url = IsUrl(source_);
  const int timeout_ms = timeout_ms_;

  AVDictionary* raw_options = nullptr;
  if (url) {
    if (timeout_ms > 0) {
      av_dict_set_int(&raw_options, "rw_timeout", int64_t{timeout_ms} * 1000, 0);
    }
    av_dict_set(&raw_options, "protocol_whitelist", "http,https,tcp,tls,crypto,httpproxy", 0);
  } else {
    av_dict_set(&raw_options, "protocol_whitelist", "file", 0);
  }
  std::unique_ptr<AVDictionary, DictionaryDeleter> options_owner(raw_options);

  AVFormatContext* raw_format = avformat_alloc_context();
  if (raw_format == nullptr) {
    *error = "out of memory";
    return false;
  }
  raw_format->interrupt_callback.callback = &InterruptCallback;
  raw_format->interrupt_callback.opaque = &deadline_;
  // A path goes through the file protocol whatever it contains (a colon, a "concat:"...).
  const std::string url_or_file = url ? source_ : "file:" + source_;
  raw_options = options_owner.release();
  int ret = avformat_open_input(&raw_format, url_or_file.c_str(), nullptr, &raw_options);
  options_owner.reset(raw_options);
  if (ret < 0) {  // avformat_open_input freed raw_format
    *error = "cannot open: " + (deadline_.armed && InterruptCallback(&deadline_)
                                    ? std::string("timed out")
                                    : AvError(ret));
    return false;
  }
  format_.reset(raw_format);

  ret = avformat_find_stream_info(format_.get(), nullptr);
  if (ret < 0) {
    *error = "cannot read stream info: " + AvError(ret);
    return false;
  }
  const AVCodec* codec = nullptr;
  ret = av_find_best_stream(format_.get(), AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
  if (ret == AVERROR_STREAM_NOT_FOUND) {
    *error = "no audio stream";
    return false;
  }
  if (ret < 0 || codec == nullptr) {
    *error = "no decoder for the audio stream";
    return false;
  }
  stream_index_ = ret;
  stream_ = format_->streams[stream_index_];
  for (unsigned i = 0; i < format_->nb_streams; ++i) {
    if (static_cast<int>(i) != stream_index_) format_->streams[i]->discard = AVDISCARD_ALL;
  }

  codec_.reset(avcodec_alloc_context3(codec));
  if (!frame_) frame_.reset(av_frame_alloc());
  if (!packet_) packet_.reset(av_packet_alloc());
  if (!codec_ || !frame_ || !packet_) {
    *error = "out of memory";
    return false;
  }
  ret = avcodec_parameters_to_context(codec_.get(), stream_->codecpar);
  if (ret < 0) {
    *error = "bad codec parameters: " + AvError(ret);
    return false;
  }
  codec_->pkt_timebase = stream_->time_base;
  ret = avcodec_open2(codec_.get(), codec, nullptr);
  if (ret < 0) {
    *error = std::string("cannot open the ") + codec->name + " decoder: " + AvError(ret);
    return false;
  }
  sample_rate_ = codec_->sample_rate > 0 ? codec_->sample_rate : stream_->codecpar->sample_rate;
  if (sample_rate_ <= 0) {
    *error = "unknown sample rate";
    return false;
  }

  // The exact length, where the container records it.
  limit_src_ = -1;
  clamp_ogg_end_ = false;
  duration_ms_ = 0;
  const std::string demuxer = format_->iformat->name;
  const bool is_mp4 = demuxer.find("mp4") != std::string::npos;
  // Ogg: only Vorbis needs it (Opus and FLAC come out exact and keep libavformat's trim).
  const bool is_ogg = demuxer == "ogg" && stream_->codecpar->codec_id == AV_CODEC_ID_VORBIS;
  if ((is_mp4 || is_ogg) && stream_->duration != AV_NOPTS_VALUE && stream_->duration > 0) {
    const int64_t length =
        av_rescale_q(stream_->duration, stream_->time_base, AVRational{1, sample_rate_});
    if (length > 0) {
      limit_src_ = length;
      clamp_ogg_end_ = is_ogg;
    }
  }
  if (limit_src_ > 0) {
    duration_ms_ = av_rescale(limit_src_, 1000, sample_rate_);
  } else if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0) {
    duration_ms_ = av_rescale(format_->duration, 1000, AV_TIME_BASE);
  } else if (stream_->duration != AV_NOPTS_VALUE && stream_->duration > 0) {
    duration_ms_ = av_rescale_q(stream_->duration, stream_->time_base, AVRational{1, 1000});
  }
  if (demuxer == "ogg" && limit_src_ < 0 && stream_->codecpar->initial_padding > 0) {
    // Ogg granule positions count the Opus pre-skip, which is not part of the track.
    duration_ms_ = std::max<int64_t>(
        duration_ms_ - av_rescale(stream_->codecpar->initial_padding, 1000, sample_rate_), 0);
  }
  return true;
}

bool FfmpegDecoder::FrameIndex(const AVFrame& frame, int64_t* index) const {
  int64_t pts = frame.pts != AV_NOPTS_VALUE ? frame.pts : frame.best_effort_timestamp;
  if (pts == AV_NOPTS_VALUE || origin_pts_ == AV_NOPTS_VALUE) return false;
  *index = av_rescale_q_rnd(pts - origin_pts_, stream_->time_base, AVRational{1, sample_rate_},
                            static_cast<AVRounding>(AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX));
  return true;
}

FfmpegDecoder::FrameResult FfmpegDecoder::NextFrame() {
  while (true) {
    int ret = avcodec_receive_frame(codec_.get(), frame_.get());
    if (ret >= 0) {
      consecutive_errors_ = 0;
      return FrameResult::kFrame;
    }
    if (ret == AVERROR_EOF) return FrameResult::kEnd;
    if (ret != AVERROR(EAGAIN)) {
      // A frame that does not decode: skip it.
      if (++consecutive_errors_ > kMaxConsecutiveErrors) {
        Fail("too many decode errors: " + AvError(ret));
        return FrameResult::kError;
      }
      continue;
    }
    if (decoder_flushing_) return FrameResult::kEnd;  // cannot happen: EOF follows the flush

    ret = av_read_frame(format_.get(), packet_.get());
    const AVIOContext* pb = format_->pb;
    if (ret == AVERROR_EOF ||
        (ret < 0 && ret != AVERROR_EXIT && pb != nullptr && pb->eof_reached)) {
      // The end, or an I/O error that ends the input: decode what is buffered, then report it.
      if (pb != nullptr && pb->error < 0 && pb->error != AVERROR_EOF) {
        pending_error_ = ReadError(pb->error);
      }
      decoder_flushing_ = true;
      avcodec_send_packet(codec_.get(), nullptr);
      continue;
    }
    if (ret < 0) {
      if ((ret == AVERROR_INVALIDDATA || ret == AVERROR(EAGAIN)) &&
          ++consecutive_errors_ <= kMaxConsecutiveErrors) {
        continue;
      }
      Fail(ReadError(ret));
      return FrameResult::kError;
    }
    if (packet_->stream_index != stream_index_) {
      av_packet_unref(packet_.get());
      continue;
    }
    if (packet_->pos >= 0) {
      if (first_packet_pos_ < 0) first_packet_pos_ = packet_->pos;
      if (resync_ && packet_->pos <= first_packet_pos_) at_first_packet_ = true;
    }
    if (clamp_ogg_end_) {
      size_t size = 0;
      uint8_t* skip = av_packet_get_side_data(packet_.get(), AV_PKT_DATA_SKIP_SAMPLES, &size);
      if (skip != nullptr && size >= 8) std::memset(skip + 4, 0, 4);  // keep the start skip
    }
    ret = avcodec_send_packet(codec_.get(), packet_.get());
    av_packet_unref(packet_.get());
    if (ret < 0 && ret != AVERROR(EAGAIN)) {
      // A corrupt packet: skip it.
      if (++consecutive_errors_ > kMaxConsecutiveErrors) {
        Fail("too many decode errors: " + AvError(ret));
        return FrameResult::kError;
      }
    }
  }
}

bool FfmpegDecoder::ConfigureResampler(const AVFrame& frame) {
  AVChannelLayout layout{};
  if (frame.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || frame.ch_layout.nb_channels <= 0) {
    const int channels = frame.ch_layout.nb_channels > 0 ? frame.ch_layout.nb_channels
                                                         : codec_->ch_layout.nb_channels;
    if (channels <= 0) {
      Fail("unknown channel count");
      return false;
    }
    av_channel_layout_default(&layout, channels);
  } else if (av_channel_layout_copy(&layout, &frame.ch_layout) < 0) {
    Fail("out of memory");
    return false;
  }
  if (swr_ && swr_rate_ == frame.sample_rate && swr_format_ == frame.format &&
      av_channel_layout_compare(&swr_layout_, &layout) == 0) {
    av_channel_layout_uninit(&layout);
    return true;
  }
  if (swr_ && !DrainResampler()) {
    av_channel_layout_uninit(&layout);
    return false;
  }
  AVChannelLayout stereo{};
  av_channel_layout_default(&stereo, kChannels);
  SwrContext* raw = nullptr;
  int ret =
      swr_alloc_set_opts2(&raw, &stereo, AV_SAMPLE_FMT_S16, kSampleRate, &layout,
                          static_cast<AVSampleFormat>(frame.format), frame.sample_rate, 0, nullptr);
  swr_.reset(raw);
  if (ret >= 0 && layout.nb_channels == 1) {
    // Mono plays on both sides at its own level (libswresample would lower it by 3 dB).
    const double matrix[2] = {1.0, 1.0};
    ret = swr_set_matrix(swr_.get(), matrix, 1);
  }
  if (ret >= 0) ret = swr_init(swr_.get());
  av_channel_layout_uninit(&swr_layout_);
  swr_layout_ = layout;  // takes ownership
  if (ret < 0) {
    swr_.reset();
    Fail("cannot set up the resampler: " + AvError(ret));
    return false;
  }
  swr_rate_ = frame.sample_rate;
  swr_format_ = frame.format;
  return true;
}

bool FfmpegDecoder::DrainResampler() {
  if (!swr_) return true;
  while (true) {
    const int room = std::max(swr_get_out_samples(swr_.get(), 0), 0) + 256;
    const size_t base = out_.size();
    out_.resize(base + static_cast<size_t>(room) * kChannels);
    uint8_t* dst[1] = {reinterpret_cast<uint8_t*>(out_.data() + base)};
    const int made = swr_convert(swr_.get(), dst, room, nullptr, 0);
    out_.resize(base + static_cast<size_t>(std::max(made, 0)) * kChannels);
    if (made < 0) {
      Fail("resampler failed: " + AvError(made));
      return false;
    }
    if (made == 0) return true;
  }
}

bool FfmpegDecoder::Convert(int offset, int count) {
  if (count <= 0) return true;
  if (!ConfigureResampler(*frame_)) return false;
  const auto format = static_cast<AVSampleFormat>(frame_->format);
  const size_t bytes = static_cast<size_t>(av_get_bytes_per_sample(format));
  const int channels = swr_layout_.nb_channels;
  const bool planar = av_sample_fmt_is_planar(format) != 0;
  std::vector<const uint8_t*> in(planar ? static_cast<size_t>(channels) : 1);
  for (size_t c = 0; c < in.size(); ++c) {
    const size_t stride = planar ? bytes : bytes * static_cast<size_t>(channels);
    in[c] = frame_->extended_data[c] + static_cast<size_t>(offset) * stride;
  }
  const int room = swr_get_out_samples(swr_.get(), count) + 16;
  const size_t base = out_.size();
  out_.resize(base + static_cast<size_t>(room) * kChannels);
  uint8_t* dst[1] = {reinterpret_cast<uint8_t*>(out_.data() + base)};
  const int made = swr_convert(swr_.get(), dst, room, in.data(), count);
  out_.resize(base + static_cast<size_t>(std::max(made, 0)) * kChannels);
  if (made < 0) {
    Fail("resampler failed: " + AvError(made));
    return false;
  }
  return true;
}

int64_t FfmpegDecoder::PlaceFrame() {
  if (!origin_known_) {
    // The track's first sample, after libavcodec's start trim.
    origin_known_ = true;
    if (frame_->sample_rate > 0 && frame_->sample_rate != sample_rate_) {
      // The stream header told another rate than the decoder outputs (implicit HE-AAC SBR).
      if (limit_src_ >= 0) limit_src_ = av_rescale(limit_src_, frame_->sample_rate, sample_rate_);
      sample_rate_ = frame_->sample_rate;
    }
    origin_pts_ = frame_->pts != AV_NOPTS_VALUE ? frame_->pts : frame_->best_effort_timestamp;
    src_pos_ = 0;
  } else if (resync_) {
    int64_t index = 0;
    if (FrameIndex(*frame_, &index)) src_pos_ = index;
  }
  resync_ = false;
  return src_pos_;
}

bool FfmpegDecoder::ConvertFrame(int64_t from_src) {
  const int64_t count = frame_->nb_samples;
  const int64_t skip = std::clamp<int64_t>(from_src - src_pos_, 0, count);
  int64_t keep = count - skip;
  if (limit_src_ >= 0) keep = std::clamp<int64_t>(limit_src_ - (src_pos_ + skip), 0, keep);
  const bool ok = Convert(static_cast<int>(skip), static_cast<int>(keep));
  src_pos_ += count;
  av_frame_unref(frame_.get());
  if (ok && limit_src_ >= 0 && src_pos_ >= limit_src_) {
    // The exact end: what follows is encoder padding.
    if (DrainResampler()) End();
  }
  return ok;
}

void FfmpegDecoder::DecodeStep() {
  if (state_ != State::kRunning) return;
  const FrameResult result = NextFrame();
  if (result == FrameResult::kError) return;
  if (result == FrameResult::kEnd) {
    if (DrainResampler()) End();
    return;
  }
  PlaceFrame();
  ConvertFrame(0);
}

DecodeStatus FfmpegDecoder::Read(int16_t* out, int n, int* got, std::string* error) {
  *got = 0;
  if (n <= 0) return DecodeStatus::kOk;
  ArmDeadline();
  int written = 0;
  while (written < n) {
    if (out_read_ == out_.size()) {
      out_.clear();
      out_read_ = 0;
      if (state_ != State::kRunning) break;
      DecodeStep();
      continue;
    }
    const size_t available = (out_.size() - out_read_) / kChannels;
    const size_t take = std::min(available, static_cast<size_t>(n - written));
    std::memcpy(out + static_cast<size_t>(written) * kChannels, out_.data() + out_read_,
                take * kChannels * sizeof(int16_t));
    out_read_ += take * kChannels;
    written += static_cast<int>(take);
  }
  *got = written;
  position_ += written;
  if (written == n) return DecodeStatus::kOk;
  if (state_ == State::kFailed) {
    *error = error_;
    return DecodeStatus::kError;
  }
  return DecodeStatus::kEndOfStream;
}

void FfmpegDecoder::ResetPipeline() {
  swr_.reset();
  swr_rate_ = 0;
  swr_format_ = -1;
  out_.clear();
  out_read_ = 0;
  decoder_flushing_ = false;
  consecutive_errors_ = 0;
  state_ = State::kRunning;
  error_.clear();
  pending_error_.clear();
}

bool FfmpegDecoder::Restart(std::string* error) {
  ResetPipeline();
  codec_.reset();
  format_.reset();
  stream_ = nullptr;
  origin_known_ = false;
  origin_pts_ = AV_NOPTS_VALUE;
  src_pos_ = 0;
  resync_ = false;
  if (!OpenInput(error)) {
    Fail(*error);
    return false;
  }
  return true;
}

bool FfmpegDecoder::SeekBefore(int64_t seek_src, std::string* error) {
  if (seek_src <= 0 || !origin_known_ || origin_pts_ == AV_NOPTS_VALUE) {
    // The start: open afresh. Demuxers re-arm their start trim unevenly after a seek (Opus
    // pre-skip, MP4 priming before pts 0, Ogg timestamps of a one-page stream), and a new
    // input is exactly what the first read saw.
    return Restart(error);
  }
  if (!format_ || !codec_) return Restart(error);
  const int64_t ts =
      origin_pts_ + av_rescale_q(seek_src, AVRational{1, sample_rate_}, stream_->time_base);
  int ret = avformat_seek_file(format_.get(), stream_index_, INT64_MIN, ts, ts, 0);
  if (ret < 0) ret = av_seek_frame(format_.get(), stream_index_, ts, AVSEEK_FLAG_BACKWARD);
  // A demuxer that cannot seek (raw streams without an index): decode from the start instead.
  if (ret < 0) return Restart(error);
  avcodec_flush_buffers(codec_.get());
  ResetPipeline();
  if (format_->pb != nullptr) format_->pb->error = 0;
  src_pos_ = seek_src;
  resync_ = true;
  at_first_packet_ = false;
  return true;
}

bool FfmpegDecoder::SeekMs(int64_t ms, std::string* error) {
  ArmDeadline();
  const int64_t target_out = av_rescale(std::max<int64_t>(ms, 0), kSampleRate, 1000);
  // Resampling restarts at a source sample that falls on a whole output sample, a little
  // before the target; at 48 kHz that is the target itself.
  const int64_t gcd = std::gcd<int64_t>(sample_rate_, kSampleRate);
  const int64_t step_src = sample_rate_ / gcd;
  const int64_t step_out = kSampleRate / gcd;
  const int64_t margin = sample_rate_ == kSampleRate ? 0 : kResampleMarginOut;
  const int64_t start_out = std::max<int64_t>(target_out - margin, 0) / step_out * step_out;
  const int64_t start_src = start_out / step_out * step_src;

  bool from_start = false;
  for (int attempt = 0; attempt < kSeekAttempts; ++attempt) {
    const int64_t preroll = av_rescale(int64_t{kSeekPrerollMs} << attempt, sample_rate_, 1000);
    const int64_t seek_src = from_start || attempt == kSeekAttempts - 1 ? 0 : start_src - preroll;
    from_start = false;
    if (!SeekBefore(seek_src, error)) return false;

    // Decode and drop up to start_src.
    bool landed = false;
    bool late = false;
    while (state_ == State::kRunning && !landed) {
      const FrameResult result = NextFrame();
      if (result == FrameResult::kError) break;
      if (result == FrameResult::kEnd) {
        if (DrainResampler()) End();
        break;
      }
      const bool first = resync_;
      if (first && at_first_packet_) {
        // Back at the stream's first packet: its pts after a seek need not match the first
        // read's (Ogg Vorbis in one page), so start over from a fresh open instead.
        from_start = true;
        av_frame_unref(frame_.get());
        break;
      }
      const int64_t index = PlaceFrame();
      if (first && index > start_src) {
        late = true;  // the demuxer landed after the target: go back further
        av_frame_unref(frame_.get());
        break;
      }
      landed = index + frame_->nb_samples > start_src && (limit_src_ < 0 || start_src < limit_src_);
      if (!ConvertFrame(start_src)) break;
    }
    if (late || from_start) continue;
    // Drop the resampler's lead-in up to the target.
    int64_t drop = target_out - start_out;
    while (drop > 0 && state_ != State::kFailed) {
      if (out_read_ == out_.size()) {
        out_.clear();
        out_read_ = 0;
        if (state_ != State::kRunning) break;
        DecodeStep();
        continue;
      }
      const int64_t take =
          std::min(static_cast<int64_t>(out_.size() - out_read_) / kChannels, drop);
      out_read_ += static_cast<size_t>(take) * kChannels;
      drop -= take;
    }
    if (state_ == State::kFailed) {
      *error = error_;
      return false;
    }
    if (landed) {
      position_ = target_out - drop;
    } else {
      // At or past the end: the track is over at its length.
      const int64_t end_src = limit_src_ >= 0 ? std::min(src_pos_, limit_src_) : src_pos_;
      position_ = std::min(av_rescale(end_src, kSampleRate, sample_rate_), target_out);
    }
    return true;
  }
  *error = "seek failed: cannot land before the target";
  return false;
}

}  // namespace

std::unique_ptr<Decoder> Decoder::Open(const std::string& source, int timeout_ms,
                                       std::string* error) {
  auto decoder = std::make_unique<FfmpegDecoder>();
  std::string why;
  if (!decoder->Init(source, timeout_ms, &why)) {
    if (error != nullptr) *error = why.empty() ? "cannot open" : why;
    return nullptr;
  }
  return decoder;
}

}  // namespace sattva::streamer
