#include "common/media_probe.h"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/mathematics.h>
}

#include "common/json.h"

namespace sattva::common {
namespace {

// Before avformat_open_input succeeds a context is freed with avformat_free_context; after, it
// is closed with avformat_close_input. Each state has its own owner.
struct AvFormatFree {
  void operator()(AVFormatContext* c) const { avformat_free_context(c); }
};
using AvFormatPtr = std::unique_ptr<AVFormatContext, AvFormatFree>;
struct AvInputClose {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
using AvInputPtr = std::unique_ptr<AVFormatContext, AvInputClose>;
struct AvDictFree {
  void operator()(AVDictionary* d) const { av_dict_free(&d); }
};
using AvDictPtr = std::unique_ptr<AVDictionary, AvDictFree>;
struct AvPacketFree {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
using AvPacketPtr = std::unique_ptr<AVPacket, AvPacketFree>;

constexpr size_t kMaxTagBytes = 500;
constexpr int kMaxPacketsToFindAudio = 1000;

void DictSet(AvDictPtr* dict, const char* key, const std::string& value) {
  AVDictionary* raw = dict->release();
  av_dict_set(&raw, key, value.c_str(), 0);
  dict->reset(raw);
}

std::string AvError(int rc) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  if (av_strerror(rc, buf, sizeof buf) < 0) return "FFmpeg error " + std::to_string(rc);
  return buf;
}

// Demuxers report garbage input as "Invalid data" or "Invalid argument"; say what it means.
std::string OpenError(int rc) {
  if (rc == AVERROR_INVALIDDATA || rc == AVERROR(EINVAL)) {
    return "not a media file FFmpeg can read (" + AvError(rc) + ")";
  }
  return AvError(rc);
}

struct Deadline {
  std::chrono::steady_clock::time_point at;
  bool expired() const { return std::chrono::steady_clock::now() > at; }
};

int InterruptCallback(void* opaque) { return static_cast<Deadline*>(opaque)->expired() ? 1 : 0; }

// Trims, drops invalid UTF-8 and caps the length at a character boundary.
std::string CleanTag(const char* value) {
  if (value == nullptr) return "";
  std::string s = value;
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  s = s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
  if (!IsValidUtf8(s)) return "";
  if (s.size() > kMaxTagBytes) {
    size_t cut = kMaxTagBytes;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s.resize(cut);
  }
  return s;
}

std::string Tag(const AVFormatContext* ctx, const AVStream* st, const char* key) {
  const AVDictionaryEntry* e = av_dict_get(ctx->metadata, key, nullptr, 0);
  std::string v = CleanTag(e != nullptr ? e->value : nullptr);
  if (v.empty()) {
    // Ogg/Opus and some others keep tags on the stream.
    e = av_dict_get(st->metadata, key, nullptr, 0);
    v = CleanTag(e != nullptr ? e->value : nullptr);
  }
  return v;
}

}  // namespace

bool IsHttpUrl(const std::string& source) {
  auto starts = [&](const char* prefix) {
    size_t n = std::strlen(prefix);
    if (source.size() <= n) return false;
    for (size_t i = 0; i < n; ++i) {
      if (std::tolower(static_cast<unsigned char>(source[i])) != prefix[i]) return false;
    }
    return true;
  };
  return starts("http://") || starts("https://");
}

bool ProbeMedia(const std::string& source, MediaInfo* out, std::string* error,
                const ProbeOptions& options) {
  const std::string quoted = "'" + source + "'";
  const bool is_url = IsHttpUrl(source);
  if (source.empty()) {
    *error = "no source given";
    return false;
  }
  if (!is_url) {
    if (source.find("://") != std::string::npos) {
      *error = "cannot open " + quoted + ": only local paths and http(s) URLs are supported";
      return false;
    }
    struct stat st;
    if (stat(source.c_str(), &st) != 0) {
      *error = "cannot open " + quoted + ": " + std::strerror(errno);
      return false;
    }
    if (!S_ISREG(st.st_mode)) {
      *error = "cannot open " + quoted + ": not a regular file";
      return false;
    }
    if (st.st_size == 0) {
      *error = "cannot open " + quoted + ": the file is empty";
      return false;
    }
  } else {
    static std::once_flag network_once;
    std::call_once(network_once, [] { avformat_network_init(); });
  }

  Deadline deadline{std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(options.timeout_ms)};
  AvFormatPtr fresh(avformat_alloc_context());
  if (!fresh) {
    *error = "out of memory allocating a format context";
    return false;
  }
  fresh->interrupt_callback.callback = &InterruptCallback;
  fresh->interrupt_callback.opaque = &deadline;
  fresh->probesize = options.probe_size;
  fresh->max_analyze_duration = options.analyze_duration_ms * 1000;  // AV_TIME_BASE units

  AvDictPtr opts;
  // A local file may only read itself; a URL may only use the web protocols.
  DictSet(&opts, "protocol_whitelist", is_url ? "http,https,tcp,tls,crypto" : "file");
  if (is_url) {
    DictSet(&opts, "rw_timeout", std::to_string(options.timeout_ms * 1000));
    DictSet(&opts, "user_agent", "sattva-probe");
  }
  // "file:" keeps a local path with a colon from being read as a protocol name.
  const std::string url = is_url ? source : "file:" + source;
  AVFormatContext* raw = fresh.release();
  AVDictionary* raw_opts = opts.release();
  int rc = avformat_open_input(&raw, url.c_str(), nullptr, &raw_opts);  // frees raw on failure
  opts.reset(raw_opts);
  if (rc < 0) {
    *error = "cannot open " + quoted + ": " +
             (deadline.expired() ? "timed out after " + std::to_string(options.timeout_ms) + " ms"
                                 : OpenError(rc));
    return false;
  }
  AvInputPtr ctx(raw);

  rc = avformat_find_stream_info(ctx.get(), nullptr);
  if (rc < 0) {
    *error = "cannot read stream info from " + quoted + ": " +
             (deadline.expired() ? "timed out after " + std::to_string(options.timeout_ms) + " ms"
                                 : OpenError(rc));
    return false;
  }
  const int index = av_find_best_stream(ctx.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (index < 0) {
    *error = quoted + " has no audio stream";
    return false;
  }
  const AVStream* stream = ctx->streams[index];
  const AVCodecParameters* par = stream->codecpar;
  if (par->codec_id == AV_CODEC_ID_NONE || par->sample_rate <= 0 ||
      par->ch_layout.nb_channels <= 0) {
    *error = quoted + " has no usable audio stream (unknown codec, sample rate or channels)";
    return false;
  }
  if (avcodec_find_decoder(par->codec_id) == nullptr) {
    *error = quoted + ": no decoder for codec " + avcodec_get_name(par->codec_id);
    return false;
  }

  // Stream info alone can come from a header; make sure there is audio data behind it.
  AvPacketPtr pkt(av_packet_alloc());
  if (!pkt) {
    *error = "out of memory allocating a packet";
    return false;
  }
  bool found = false;
  for (int i = 0; i < kMaxPacketsToFindAudio && !found; ++i) {
    rc = av_read_frame(ctx.get(), pkt.get());
    if (rc < 0) break;
    found = pkt->stream_index == index && pkt->size > 0;
    av_packet_unref(pkt.get());
  }
  if (!found) {
    *error = quoted + " has no readable audio data" +
             (rc < 0 && rc != AVERROR_EOF ? ": " + AvError(rc) : std::string());
    if (deadline.expired()) {
      *error = "cannot read " + quoted + ": timed out after " + std::to_string(options.timeout_ms) +
               " ms";
    }
    return false;
  }

  MediaInfo info;
  if (ctx->duration != AV_NOPTS_VALUE && ctx->duration >= 0) {
    info.duration_ms = av_rescale(ctx->duration, 1000, AV_TIME_BASE);
  } else if (stream->duration != AV_NOPTS_VALUE && stream->duration >= 0) {
    info.duration_ms = av_rescale_q(stream->duration, stream->time_base, AVRational{1, 1000});
  }
  info.codec = avcodec_get_name(par->codec_id);
  info.sample_rate = par->sample_rate;
  info.channels = par->ch_layout.nb_channels;
  info.title = Tag(ctx.get(), stream, "title");
  info.artist = Tag(ctx.get(), stream, "artist");
  // The audio stream's own rate; the container's (size over duration, headers included) when
  // the stream does not say.
  info.bitrate = par->bit_rate > 0 ? par->bit_rate : ctx->bit_rate;
  if (info.bitrate < 0) info.bitrate = 0;
  *out = std::move(info);
  return true;
}

Json::Value MediaInfoToJson(const MediaInfo& info) {
  Json::Value v(Json::objectValue);
  v["duration_ms"] = info.duration_ms >= 0 ? JsonInt(info.duration_ms) : Json::Value();
  v["codec"] = info.codec;
  v["sample_rate"] = info.sample_rate;
  v["channels"] = info.channels;
  v["title"] = info.title;
  v["artist"] = info.artist;
  v["bitrate"] = JsonInt(info.bitrate);
  return v;
}

}  // namespace sattva::common
