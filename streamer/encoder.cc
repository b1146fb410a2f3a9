#include "streamer/encoder.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavformat/avio.h>
#include <libavformat/version.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>
}

namespace sattva::streamer {
namespace {

constexpr int64_t kOpusBitRate = 128000;
constexpr int64_t kMp3BitRate = 128000;
constexpr int kMp3FrameSamples = 1152;  // libmp3lame's frame_size
// Ogg pages of 3 packets (60 ms): a new listener's first page comes soon and the page overhead
// stays ~4 kbit/s. The muxer closes a page at that duration but writes it only once the next
// one is closed too, so the encoder flushes the muxer as soon as a page is full.
constexpr int kOpusPacketsPerPage = 3;
constexpr const char* kOggPageDurationUs = "60000";
constexpr int kAvioBufferBytes = 4096;
constexpr size_t kOggPageHeaderBytes = 27;
constexpr const AVRational kSampleTimeBase = {1, kSampleRate};

// Owners of the libav* handles.
struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FormatContextDeleter {
  void operator()(AVFormatContext* c) const { avformat_free_context(c); }
};
struct IoContextDeleter {
  void operator()(AVIOContext* c) const {
    if (c == nullptr) return;
    av_freep(&c->buffer);  // the context may have replaced the buffer it was given
    avio_context_free(&c);
  }
};
struct AvFreeDeleter {
  void operator()(void* p) const { av_free(p); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct AudioFifoDeleter {
  void operator()(AVAudioFifo* f) const { av_audio_fifo_free(f); }
};

using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FormatContextPtr = std::unique_ptr<AVFormatContext, FormatContextDeleter>;
using IoContextPtr = std::unique_ptr<AVIOContext, IoContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using AudioFifoPtr = std::unique_ptr<AVAudioFifo, AudioFifoDeleter>;

// An AVDictionary of options, freed on scope exit.
class Options {
 public:
  Options() = default;
  Options(const Options&) = delete;
  Options& operator=(const Options&) = delete;
  ~Options() { av_dict_free(&dict_); }

  bool Set(const char* key, const char* value) { return av_dict_set(&dict_, key, value, 0) >= 0; }
  AVDictionary** get() { return &dict_; }
  // The keys nobody consumed, comma-separated ("" when all were used).
  std::string Unused() const {
    std::string keys;
    const AVDictionaryEntry* e = nullptr;
    while ((e = av_dict_get(dict_, "", e, AV_DICT_IGNORE_SUFFIX)) != nullptr) {
      if (!keys.empty()) keys += ",";
      keys += e->key;
    }
    return keys;
  }

 private:
  AVDictionary* dict_ = nullptr;
};

std::string AvError(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof(buf));
  return buf;
}

bool Fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

// Opens `codec_name` for 48 kHz stereo in `sample_format` with `options` (all must be used).
CodecContextPtr OpenCodec(const char* codec_name, AVSampleFormat sample_format, int64_t bit_rate,
                          Options& options, std::string* error) {
  const AVCodec* codec = avcodec_find_encoder_by_name(codec_name);
  if (codec == nullptr) {
    Fail(error, std::string("encoder ") + codec_name + " is not available");
    return nullptr;
  }
  CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (ctx == nullptr) {
    Fail(error, "out of memory allocating the codec context");
    return nullptr;
  }
  ctx->sample_fmt = sample_format;
  ctx->sample_rate = kSampleRate;
  av_channel_layout_default(&ctx->ch_layout, kChannels);
  ctx->bit_rate = bit_rate;
  ctx->time_base = kSampleTimeBase;
  const int rc = avcodec_open2(ctx.get(), codec, options.get());
  if (rc < 0) {
    Fail(error, std::string("cannot open ") + codec_name + ": " + AvError(rc));
    return nullptr;
  }
  const std::string unused = options.Unused();
  if (!unused.empty()) {
    Fail(error, std::string(codec_name) + " ignored options: " + unused);
    return nullptr;
  }
  return ctx;
}

// A frame of `samples` per channel in the codec's format, with its buffers allocated.
FramePtr AllocFrame(const AVCodecContext& codec, int samples, std::string* error) {
  FramePtr frame(av_frame_alloc());
  if (frame == nullptr) {
    Fail(error, "out of memory allocating a frame");
    return nullptr;
  }
  frame->format = codec.sample_fmt;
  frame->sample_rate = codec.sample_rate;
  frame->nb_samples = samples;
  if (av_channel_layout_copy(&frame->ch_layout, &codec.ch_layout) < 0) {
    Fail(error, "cannot copy the channel layout");
    return nullptr;
  }
  const int rc = av_frame_get_buffer(frame.get(), 0);
  if (rc < 0) {
    Fail(error, "cannot allocate frame buffers: " + AvError(rc));
    return nullptr;
  }
  return frame;
}

// Sends `frame` (nullptr: flush) and hands every packet the codec then returns to `on_packet`,
// which returns false (and sets *error) to stop.
template <typename OnPacket>
bool EncodeAndDrain(AVCodecContext* codec, const AVFrame* frame, AVPacket* packet,
                    OnPacket&& on_packet, std::string* error) {
  int rc = avcodec_send_frame(codec, frame);
  if (rc < 0 && !(frame == nullptr && rc == AVERROR_EOF)) {
    return Fail(error, "encoder refused a frame: " + AvError(rc));
  }
  while (true) {
    rc = avcodec_receive_packet(codec, packet);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return true;
    if (rc < 0) return Fail(error, "encoder failed: " + AvError(rc));
    const bool ok = on_packet(packet, error);
    av_packet_unref(packet);
    if (!ok) return false;
  }
}

// The length of the whole Ogg page at the start of `data`: 0 when it is not all there yet, -1
// when `data` does not start with a page.
int64_t OggPageLength(std::string_view data) {
  if (data.size() < kOggPageHeaderBytes) {
    const size_t n = std::min<size_t>(data.size(), 4);
    return data.substr(0, n) == std::string_view("OggS").substr(0, n) ? 0 : -1;
  }
  if (data.compare(0, 4, "OggS") != 0) return -1;
  const size_t segments = static_cast<uint8_t>(data[26]);
  if (data.size() < kOggPageHeaderBytes + segments) return 0;
  size_t length = kOggPageHeaderBytes + segments;
  for (size_t i = 0; i < segments; ++i) {
    length += static_cast<uint8_t>(data[kOggPageHeaderBytes + i]);
  }
  return data.size() < length ? 0 : static_cast<int64_t>(length);
}

// The length of the longest prefix of `data` made of whole Ogg pages, or -1 when `data` does not
// start with a page.
int64_t WholeOggPagesLength(std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    const int64_t page = OggPageLength(data.substr(done));
    if (page < 0) return -1;
    if (page == 0) break;
    done += static_cast<size_t>(page);
  }
  return static_cast<int64_t>(done);
}

// Opus in Ogg: libopus through libavcodec, muxed by libavformat's ogg muxer into memory.
class OggOpusEncoder final : public LiveEncoder {
 public:
  bool Init(std::string* error) {
    Options codec_options;
    if (!codec_options.Set("application", "audio") || !codec_options.Set("frame_duration", "20")) {
      return Fail(error, "out of memory setting libopus options");
    }
    codec_ = OpenCodec("libopus", AV_SAMPLE_FMT_S16, kOpusBitRate, codec_options, error);
    if (codec_ == nullptr) return false;
    if (codec_->frame_size != kFrameSamples) {
      return Fail(error, "libopus frame size is " + std::to_string(codec_->frame_size) + ", want " +
                             std::to_string(kFrameSamples));
    }
    frame_ = AllocFrame(*codec_, kFrameSamples, error);
    if (frame_ == nullptr) return false;
    packet_.reset(av_packet_alloc());
    if (packet_ == nullptr) return Fail(error, "out of memory allocating a packet");

    AVFormatContext* format = nullptr;
    int rc = avformat_alloc_output_context2(&format, nullptr, "ogg", nullptr);
    if (rc < 0 || format == nullptr) return Fail(error, "no ogg muxer: " + AvError(rc));
    format_.reset(format);
    stream_ = avformat_new_stream(format_.get(), nullptr);
    if (stream_ == nullptr) return Fail(error, "cannot add the ogg stream");
    rc = avcodec_parameters_from_context(stream_->codecpar, codec_.get());
    if (rc < 0) return Fail(error, "cannot copy the opus parameters: " + AvError(rc));
    stream_->time_base = kSampleTimeBase;

    std::unique_ptr<uint8_t, AvFreeDeleter> buffer(
        static_cast<uint8_t*>(av_malloc(kAvioBufferBytes)));
    if (buffer == nullptr) return Fail(error, "out of memory allocating the AVIO buffer");
    io_.reset(avio_alloc_context(buffer.get(), kAvioBufferBytes, /*write_flag=*/1, this,
                                 /*read_packet=*/nullptr, &OggOpusEncoder::Write,
                                 /*seek=*/nullptr));
    if (io_ == nullptr) return Fail(error, "out of memory allocating the AVIO context");
    buffer.release();  // io_ owns it now
    format_->pb = io_.get();
    format_->flags |= AVFMT_FLAG_CUSTOM_IO;

    Options mux_options;
    if (!mux_options.Set("page_duration", kOggPageDurationUs)) {
      return Fail(error, "out of memory setting ogg muxer options");
    }
    rc = avformat_write_header(format_.get(), mux_options.get());
    if (rc < 0) return Fail(error, "cannot write the ogg header: " + AvError(rc));
    const std::string unused = mux_options.Unused();
    if (!unused.empty()) return Fail(error, "ogg muxer ignored options: " + unused);
    avio_flush(io_.get());
    if (io_->error < 0) return Fail(error, "cannot write the ogg header: " + AvError(io_->error));
    const int64_t pages = WholeOggPagesLength(pending_);
    if (pages <= 0 || static_cast<size_t>(pages) != pending_.size()) {
      return Fail(error, "the ogg muxer wrote no whole header pages");
    }
    header_ = std::move(pending_);
    pending_.clear();
    return true;
  }

  bool Encode(const PcmFrame& frame, std::vector<std::string>* chunks,
              std::string* error) override {
    if (finished_) return Fail(error, "the encoder is finished");
    if (failed_) return Fail(error, "the encoder failed earlier");
    int rc = av_frame_make_writable(frame_.get());
    if (rc < 0) return Failed(error, "cannot make the frame writable: " + AvError(rc));
    std::memcpy(frame_->data[0], frame.samples.data(), kFrameBytes);
    frame_->pts = next_pts_;
    next_pts_ += kFrameSamples;
    if (!EncodeAndMux(frame_.get(), error)) {
      failed_ = true;
      return false;
    }
    return TakePages(chunks, /*all=*/false, error);
  }

  void Finish(std::vector<std::string>* chunks) override {
    if (finished_) return;
    finished_ = true;
    if (failed_) return;
    std::string error;
    // Best effort: what flushed is kept even if the trailer fails.
    EncodeAndMux(nullptr, &error);
    av_write_trailer(format_.get());
    avio_flush(io_.get());
    TakePages(chunks, /*all=*/true, &error);
  }

  const std::string& header() const override { return header_; }
  LiveFormat format() const override { return LiveFormat::kOggOpus; }

 private:
  // The AVIO write callback (FFmpeg 6.1 made `data` const).
#if LIBAVFORMAT_VERSION_MAJOR >= 61
  static int Write(void* opaque, const uint8_t* data, int size) {
#else
  static int Write(void* opaque, uint8_t* data, int size) {
#endif
    try {
      static_cast<OggOpusEncoder*>(opaque)->pending_.append(reinterpret_cast<const char*>(data),
                                                            static_cast<size_t>(size));
    } catch (const std::bad_alloc&) {
      return AVERROR(ENOMEM);  // nothing may unwind through libavformat
    }
    return size;
  }

  bool Failed(std::string* error, std::string message) {
    failed_ = true;
    return Fail(error, std::move(message));
  }

  // Encodes `frame` (nullptr: flush) and muxes the packets.
  bool EncodeAndMux(const AVFrame* frame, std::string* error) {
    return EncodeAndDrain(
        codec_.get(), frame, packet_.get(),
        [this](AVPacket* packet, std::string* e) { return Mux(packet, e); }, error);
  }

  // Muxes one encoded packet and flushes the AVIO, so the pages it completed are in pending_.
  bool Mux(AVPacket* packet, std::string* error) {
    packet->stream_index = stream_->index;
    av_packet_rescale_ts(packet, codec_->time_base, stream_->time_base);
    int rc = av_write_frame(format_.get(), packet);
    if (rc < 0) return Fail(error, "ogg muxer failed: " + AvError(rc));
    if (++packets_in_page_ == kOpusPacketsPerPage) {
      packets_in_page_ = 0;
      rc = av_write_frame(format_.get(), nullptr);  // writes the page out now
      if (rc < 0) return Fail(error, "ogg muxer flush failed: " + AvError(rc));
    }
    avio_flush(io_.get());
    if (io_->error < 0) return Fail(error, "ogg write failed: " + AvError(io_->error));
    return true;
  }

  // Moves the whole pages in pending_ into one chunk; a partial page stays for the next call
  // (or, when `all`, is dropped: the stream ended).
  bool TakePages(std::vector<std::string>* chunks, bool all, std::string* error) {
    const int64_t whole = WholeOggPagesLength(pending_);
    if (whole < 0) {
      pending_.clear();
      return Failed(error, "the ogg muxer wrote something that is not an ogg page");
    }
    if (whole > 0) {
      if (static_cast<size_t>(whole) == pending_.size()) {
        chunks->push_back(std::move(pending_));
        pending_.clear();
      } else {
        chunks->push_back(pending_.substr(0, static_cast<size_t>(whole)));
        pending_.erase(0, static_cast<size_t>(whole));
      }
    }
    if (all) pending_.clear();
    return true;
  }

  CodecContextPtr codec_;
  FramePtr frame_;
  PacketPtr packet_;
  IoContextPtr io_;          // declared before format_: format_ uses it until it is freed
  FormatContextPtr format_;  // owns stream_
  AVStream* stream_ = nullptr;
  std::string pending_;  // bytes the muxer wrote that are not yet in a chunk
  std::string header_;
  int64_t next_pts_ = 0;
  int packets_in_page_ = 0;
  bool finished_ = false;
  bool failed_ = false;
};

// MP3: libmp3lame, 128 kbit/s CBR without the bit reservoir, raw frames.
class Mp3Encoder final : public LiveEncoder {
 public:
  bool Init(std::string* error) {
    Options codec_options;
    if (!codec_options.Set("reservoir", "0")) {
      return Fail(error, "out of memory setting libmp3lame options");
    }
    codec_ = OpenCodec("libmp3lame", AV_SAMPLE_FMT_S16P, kMp3BitRate, codec_options, error);
    if (codec_ == nullptr) return false;
    if (codec_->frame_size != kMp3FrameSamples) {
      return Fail(error, "libmp3lame frame size is " + std::to_string(codec_->frame_size) +
                             ", want " + std::to_string(kMp3FrameSamples));
    }
    frame_ = AllocFrame(*codec_, kMp3FrameSamples, error);
    if (frame_ == nullptr) return false;
    packet_.reset(av_packet_alloc());
    if (packet_ == nullptr) return Fail(error, "out of memory allocating a packet");
    fifo_.reset(av_audio_fifo_alloc(AV_SAMPLE_FMT_S16P, kChannels, 2 * kMp3FrameSamples));
    if (fifo_ == nullptr) return Fail(error, "out of memory allocating the sample FIFO");
    return true;
  }

  bool Encode(const PcmFrame& frame, std::vector<std::string>* chunks,
              std::string* error) override {
    if (finished_) return Fail(error, "the encoder is finished");
    if (failed_) return Fail(error, "the encoder failed earlier");
    for (int i = 0; i < kFrameSamples; ++i) {
      left_[i] = frame.samples[2 * i];
      right_[i] = frame.samples[2 * i + 1];
    }
    void* planes[kChannels] = {left_.data(), right_.data()};
    if (av_audio_fifo_write(fifo_.get(), planes, kFrameSamples) != kFrameSamples) {
      failed_ = true;
      return Fail(error, "cannot queue samples for libmp3lame");
    }
    std::string chunk;
    while (av_audio_fifo_size(fifo_.get()) >= kMp3FrameSamples) {
      if (!EncodeFromFifo(kMp3FrameSamples, &chunk, error)) {
        failed_ = true;
        return false;
      }
    }
    if (!chunk.empty()) chunks->push_back(std::move(chunk));
    return true;
  }

  void Finish(std::vector<std::string>* chunks) override {
    if (finished_) return;
    finished_ = true;
    if (failed_) return;
    std::string chunk;
    std::string error;
    // libmp3lame takes a short last frame; then the flush empties its delay.
    const int rest = av_audio_fifo_size(fifo_.get());
    if (rest == 0 || EncodeFromFifo(rest, &chunk, &error)) {
      EncodeAndAppend(nullptr, &chunk, &error);
    }
    if (!chunk.empty()) chunks->push_back(std::move(chunk));
  }

  const std::string& header() const override { return header_; }
  LiveFormat format() const override { return LiveFormat::kMp3; }

 private:
  // Encodes `samples` (<= kMp3FrameSamples) from the FIFO, appending the frames to *chunk.
  bool EncodeFromFifo(int samples, std::string* chunk, std::string* error) {
    int rc = av_frame_make_writable(frame_.get());
    if (rc < 0) return Fail(error, "cannot make the frame writable: " + AvError(rc));
    frame_->nb_samples = samples;
    if (av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(frame_->data), samples) !=
        samples) {
      return Fail(error, "cannot read samples from the FIFO");
    }
    frame_->pts = next_pts_;
    next_pts_ += samples;
    return EncodeAndAppend(frame_.get(), chunk, error);
  }

  // Encodes `frame` (nullptr: flush) and appends the packets to *chunk. libmp3lame hands out
  // one whole MP3 frame per packet (no ID3, no Xing: those are the mp3 muxer's).
  bool EncodeAndAppend(const AVFrame* frame, std::string* chunk, std::string* error) {
    return EncodeAndDrain(
        codec_.get(), frame, packet_.get(),
        [chunk](AVPacket* packet, std::string*) {
          chunk->append(reinterpret_cast<const char*>(packet->data),
                        static_cast<size_t>(packet->size));
          return true;
        },
        error);
  }

  CodecContextPtr codec_;
  FramePtr frame_;
  PacketPtr packet_;
  AudioFifoPtr fifo_;
  std::array<int16_t, kFrameSamples> left_{};
  std::array<int16_t, kFrameSamples> right_{};
  const std::string header_;
  int64_t next_pts_ = 0;
  bool finished_ = false;
  bool failed_ = false;
};

}  // namespace

const char* ContentType(LiveFormat format) {
  switch (format) {
    case LiveFormat::kOggOpus:
      return "audio/ogg";
    case LiveFormat::kMp3:
      return "audio/mpeg";
  }
  return "application/octet-stream";
}

const char* FormatName(LiveFormat format) {
  switch (format) {
    case LiveFormat::kOggOpus:
      return "ogg";
    case LiveFormat::kMp3:
      return "mp3";
  }
  return "unknown";
}

std::unique_ptr<LiveEncoder> LiveEncoder::Create(LiveFormat format, std::string* error) {
  switch (format) {
    case LiveFormat::kOggOpus: {
      auto encoder = std::make_unique<OggOpusEncoder>();
      if (!encoder->Init(error)) return nullptr;
      return encoder;
    }
    case LiveFormat::kMp3: {
      auto encoder = std::make_unique<Mp3Encoder>();
      if (!encoder->Init(error)) return nullptr;
      return encoder;
    }
  }
  Fail(error, "unknown live format");
  return nullptr;
}

}  // namespace sattva::streamer
