// sattva-bridge-client: a small but real bridge connector (docs/bridge-protocol.md) for
// integration tests and debugging. It records a stream's bridge audio to a raw PCM file and the
// protocol's events to a JSON-lines file, and reports participant counts on a schedule.
//
//   sattva-bridge-client --socket PATH --out FILE.pcm [--meta FILE.jsonl] [--participants N]
//       [--participants-at SECONDS=N ...] [--seconds S | --frames N] [--client NAME]
//
// Exit status: 0 on END, when --seconds or --frames is reached, or on SIGTERM/SIGINT; 1 on any
// error (the reason goes to stderr); 2 on bad arguments.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <json/json.h>

#include "common/json.h"
#include "streamer/audio.h"
#include "streamer/bridge_protocol.h"

namespace sattva::streamer {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr auto kConnectRetryFor = std::chrono::seconds(10);
constexpr auto kConnectRetryEvery = std::chrono::milliseconds(50);
constexpr auto kWelcomeTimeout = std::chrono::seconds(10);
constexpr int kMaxPollMs = 100;
constexpr const char* kDefaultClient = "sattva-bridge-client/1";

volatile std::sig_atomic_t g_stop = 0;

void OnSignal(int) { g_stop = 1; }

struct ScheduledCount {
  double at_seconds = 0;
  int64_t count = 0;
};

struct Options {
  std::string socket;
  std::string out;
  std::string meta;
  int64_t participants = 1;
  std::vector<ScheduledCount> schedule;
  std::optional<double> seconds;
  std::optional<uint64_t> frames;
  std::string client = kDefaultClient;
};

void Usage(FILE* f) {
  std::fprintf(f,
               "usage: sattva-bridge-client --socket PATH --out FILE.pcm [--meta FILE.jsonl]\n"
               "         [--participants N] [--participants-at SECONDS=N ...]\n"
               "         [--seconds S | --frames N] [--client NAME]\n"
               "Connects to a Sattva stream bridge, appends the AUDIO payloads (raw s16le 48 kHz\n"
               "stereo) to --out and one JSON line per WELCOME/TRACK/END/ERROR/gap to --meta.\n"
               "--participants is reported after WELCOME (default 1); each --participants-at\n"
               "count is reported SECONDS after WELCOME. --seconds counts from WELCOME;\n"
               "--frames counts AUDIO frames received.\n");
}

bool ParseInt(const std::string& s, int64_t min, int64_t max, int64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) return false;
  *out = v;
  return true;
}

bool ParseSeconds(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || *end != '\0' || !(v >= 0) || v > 1e7) return false;
  *out = v;
  return true;
}

// Returns false with *error set on bad arguments.
bool ParseArgs(int argc, char** argv, Options* o, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      Usage(stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) {
      *error = arg + " needs a value (or is unknown)";
      return false;
    }
    const std::string value = argv[++i];
    if (arg == "--socket") {
      o->socket = value;
    } else if (arg == "--out") {
      o->out = value;
    } else if (arg == "--meta") {
      o->meta = value;
    } else if (arg == "--client") {
      o->client = value;
    } else if (arg == "--participants") {
      if (!ParseInt(value, 0, kBridgeMaxParticipants, &o->participants)) {
        *error = "--participants wants an integer 0.." + std::to_string(kBridgeMaxParticipants);
        return false;
      }
    } else if (arg == "--participants-at") {
      const size_t eq = value.find('=');
      ScheduledCount sc;
      if (eq == std::string::npos || !ParseSeconds(value.substr(0, eq), &sc.at_seconds) ||
          !ParseInt(value.substr(eq + 1), 0, kBridgeMaxParticipants, &sc.count)) {
        *error = "--participants-at wants SECONDS=N, e.g. 1.5=3";
        return false;
      }
      o->schedule.push_back(sc);
    } else if (arg == "--seconds") {
      double s = 0;
      if (!ParseSeconds(value, &s)) {
        *error = "--seconds wants a non-negative number";
        return false;
      }
      o->seconds = s;
    } else if (arg == "--frames") {
      int64_t n = 0;
      if (!ParseInt(value, 1, INT64_MAX, &n)) {
        *error = "--frames wants a positive integer";
        return false;
      }
      o->frames = static_cast<uint64_t>(n);
    } else {
      *error = "unknown option " + arg;
      return false;
    }
  }
  if (o->socket.empty() || o->out.empty()) {
    *error = "--socket and --out are required";
    return false;
  }
  if (o->seconds && o->frames) {
    *error = "--seconds and --frames are exclusive";
    return false;
  }
  std::stable_sort(
      o->schedule.begin(), o->schedule.end(),
      [](const ScheduledCount& a, const ScheduledCount& b) { return a.at_seconds < b.at_seconds; });
  return true;
}

// Owns a FILE*.
class File {
 public:
  File() = default;
  ~File() {
    if (f_ != nullptr) std::fclose(f_);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  bool Open(const std::string& path) {
    f_ = std::fopen(path.c_str(), "wb");
    return f_ != nullptr;
  }
  bool is_open() const { return f_ != nullptr; }
  // Writes and flushes.
  bool Write(const void* data, size_t n) {
    return std::fwrite(data, 1, n, f_) == n && std::fflush(f_) == 0;
  }

 private:
  FILE* f_ = nullptr;
};

class Client {
 public:
  explicit Client(Options options) : o_(std::move(options)) {}

  int Run() {
    if (!out_.Open(o_.out)) return Fail("cannot open " + o_.out + ": " + std::strerror(errno));
    if (!o_.meta.empty() && !meta_.Open(o_.meta)) {
      return Fail("cannot open " + o_.meta + ": " + std::strerror(errno));
    }
    if (!Connect()) return g_stop ? 0 : 1;
    BridgeHello hello;
    hello.client = o_.client;
    if (!Send(EncodeBridgeHello(hello))) return 1;
    const SteadyClock::time_point connected_at = SteadyClock::now();

    char buf[64 * 1024];
    while (!g_stop) {
      const SteadyClock::time_point now = SteadyClock::now();
      if (!welcome_at_ && now - connected_at > kWelcomeTimeout) {
        return Fail("no WELCOME within 10 s");
      }
      if (welcome_at_) {
        while (next_scheduled_ < o_.schedule.size() &&
               now >= At(o_.schedule[next_scheduled_].at_seconds)) {
          if (!SendParticipants(o_.schedule[next_scheduled_].count)) return 1;
          ++next_scheduled_;
        }
        if (o_.seconds && now >= At(*o_.seconds)) return Finish();
      }
      int timeout = kMaxPollMs;
      if (welcome_at_ && next_scheduled_ < o_.schedule.size()) {
        timeout = std::min(timeout, MillisUntil(At(o_.schedule[next_scheduled_].at_seconds)));
      }
      if (welcome_at_ && o_.seconds) timeout = std::min(timeout, MillisUntil(At(*o_.seconds)));
      pollfd p{fd_.get(), POLLIN, 0};
      const int n = ::poll(&p, 1, timeout);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Fail(std::string("poll: ") + std::strerror(errno));
      }
      if (n == 0) continue;
      const ssize_t got = ::recv(fd_.get(), buf, sizeof(buf), 0);
      if (got < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return Fail(std::string("recv: ") + std::strerror(errno));
      }
      if (got == 0) return Fail("the bridge closed the connection without END");
      parser_.Feed(buf, static_cast<size_t>(got));
      BridgeMessage m;
      for (;;) {
        const BridgeParser::Status status = parser_.Next(&m);
        if (status == BridgeParser::Status::kNeedMore) break;
        if (status == BridgeParser::Status::kError) return Fail("protocol: " + parser_.error());
        std::optional<int> exit_code = Handle(m);
        if (exit_code) return *exit_code;
      }
    }
    return Finish();
  }

 private:
  int Fail(const std::string& why) {
    std::fprintf(stderr, "sattva-bridge-client: %s\n", why.c_str());
    return 1;
  }

  SteadyClock::time_point At(double seconds_after_welcome) const {
    return *welcome_at_ + std::chrono::duration_cast<SteadyClock::duration>(
                              std::chrono::duration<double>(seconds_after_welcome));
  }

  static int MillisUntil(SteadyClock::time_point t) {
    const auto now = SteadyClock::now();
    if (t <= now) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - now).count();
    return static_cast<int>(std::min<int64_t>(ms, kMaxPollMs));
  }

  bool Connect() {
    const SteadyClock::time_point deadline = SteadyClock::now() + kConnectRetryFor;
    for (;;) {
      int err = 0;
      fd_ = ConnectUnixSocket(o_.socket, &err);
      if (fd_.valid()) return true;
      const bool retry = err == ENOENT || err == ECONNREFUSED || err == EAGAIN || err == EINTR;
      if (!retry || SteadyClock::now() >= deadline || g_stop) {
        if (!g_stop) Fail("cannot connect to " + o_.socket + ": " + std::strerror(err));
        return false;
      }
      std::this_thread::sleep_for(kConnectRetryEvery);
    }
  }

  bool Send(const BridgeMessage& m) {
    int err = 0;
    if (!SendAll(fd_.get(), SerializeBridgeMessage(m), &err)) {
      Fail(std::string("send ") + BridgeMessageTypeName(m.type) + ": " + std::strerror(err));
      return false;
    }
    return true;
  }

  bool SendParticipants(int64_t count) {
    BridgeParticipants p;
    p.count = count;
    return Send(EncodeBridgeParticipants(p));
  }

  // Writes `fields` (a JSON object) with "type" and "at_sample" to --meta.
  bool Meta(const std::string& type, Json::Value fields, int64_t at_sample) {
    if (!meta_.is_open()) return true;
    fields["type"] = type;
    fields["at_sample"] = Json::Value(static_cast<Json::Int64>(at_sample));
    const std::string line = common::WriteJson(fields) + "\n";
    if (!meta_.Write(line.data(), line.size())) {
      Fail("cannot write " + o_.meta + ": " + std::strerror(errno));
      return false;
    }
    return true;
  }

  // The payload's JSON object, for --meta. Decode* has already checked it.
  static Json::Value PayloadJson(const BridgeMessage& m) {
    Json::Value v;
    std::string error;
    if (!common::ParseJson(m.payload, &v, &error) || !v.isObject()) {
      return Json::Value(Json::objectValue);
    }
    return v;
  }

  struct PendingTrack {
    BridgeTrack track;
    Json::Value json;
  };

  // Per-channel samples in --out before frame `seq`. A frame before the first one received
  // lies before the file (negative); frames missing in a gap take no room in the file.
  int64_t SamplesBefore(uint64_t seq) const {
    if (!next_seq_) return 0;
    if (seq >= *next_seq_) return samples_;
    return samples_ - static_cast<int64_t>(*next_seq_ - seq) * kFrameSamples;
  }

  bool WriteTrack(const PendingTrack& t, int64_t at_sample) {
    return Meta("track", t.json, at_sample);
  }

  // Writes the pending TRACK lines whose frame has come (seq <= up_to), or all of them.
  bool FlushTracks(std::optional<uint64_t> up_to) {
    while (!pending_tracks_.empty()) {
      const PendingTrack& t = pending_tracks_.front();
      int64_t at = 0;
      if (up_to) {
        if (t.track.frame_seq > *up_to) break;
        at = SamplesBefore(t.track.frame_seq) + t.track.offset;
      } else {
        // Its frame never arrived: where it would have been with no further gap.
        const uint64_t next = next_seq_.value_or(t.track.frame_seq);
        at = samples_ + t.track.offset +
             (t.track.frame_seq > next
                  ? static_cast<int64_t>(t.track.frame_seq - next) * kFrameSamples
                  : 0);
      }
      if (!WriteTrack(t, at)) return false;
      pending_tracks_.erase(pending_tracks_.begin());
    }
    return true;
  }

  int Finish() {
    if (!FlushTracks(std::nullopt)) return 1;
    return 0;
  }

  // Returns an exit code when the client should stop.
  std::optional<int> Handle(const BridgeMessage& m) {
    std::string why;
    if (!welcome_at_ && m.type != BridgeMessageType::kWelcome &&
        m.type != BridgeMessageType::kError && m.type != BridgeMessageType::kEnd) {
      return Fail(std::string("expected WELCOME, got ") + BridgeMessageTypeName(m.type));
    }
    switch (m.type) {
      case BridgeMessageType::kWelcome: {
        BridgeWelcome w;
        if (welcome_at_) return Fail("a second WELCOME");
        if (!DecodeBridgeWelcome(m, &w, &why)) return Fail("bad WELCOME: " + why);
        if (w.protocol != kBridgeProtocolVersion || w.sample_rate != kSampleRate ||
            w.channels != kChannels || w.frame_samples != kFrameSamples ||
            w.format != kBridgeAudioFormat) {
          return Fail("unsupported audio in WELCOME: " + m.payload);
        }
        welcome_at_ = SteadyClock::now();
        if (!Meta("welcome", PayloadJson(m), samples_)) return 1;
        if (!SendParticipants(o_.participants)) return 1;
        return std::nullopt;
      }
      case BridgeMessageType::kTrack: {
        PendingTrack t;
        if (!DecodeBridgeTrack(m, &t.track, &why)) return Fail("bad TRACK: " + why);
        t.json = PayloadJson(m);
        pending_tracks_.push_back(std::move(t));
        // A track whose frame is already past is placed at once.
        if (next_seq_ && pending_tracks_.back().track.frame_seq < *next_seq_) {
          if (!FlushTracks(*next_seq_ - 1)) return 1;
        }
        return std::nullopt;
      }
      case BridgeMessageType::kAudio: {
        uint64_t seq = 0;
        std::string_view pcm;
        if (!DecodeBridgeAudio(m, &seq, &pcm, &why)) return Fail("bad AUDIO: " + why);
        if (next_seq_ && seq < *next_seq_) {
          return Fail("AUDIO sequence went backwards: " + std::to_string(seq) + " after " +
                      std::to_string(*next_seq_ - 1));
        }
        if (next_seq_ && seq > *next_seq_) {
          Json::Value gap(Json::objectValue);
          gap["from_seq"] = Json::Value(static_cast<Json::UInt64>(*next_seq_));
          gap["to_seq"] = Json::Value(static_cast<Json::UInt64>(seq - 1));
          gap["frames"] = Json::Value(static_cast<Json::UInt64>(seq - *next_seq_));
          if (!Meta("gap", gap, samples_)) return 1;
        }
        if (!next_seq_) next_seq_ = seq;  // the file starts at this frame
        if (!FlushTracks(seq)) return 1;
        if (!out_.Write(pcm.data(), pcm.size())) {
          return Fail("cannot write " + o_.out + ": " + std::strerror(errno));
        }
        samples_ += kFrameSamples;
        next_seq_ = seq + 1;
        ++frames_;
        if (o_.frames && frames_ >= *o_.frames) return Finish();
        return std::nullopt;
      }
      case BridgeMessageType::kEnd: {
        BridgeEnd e;
        if (!DecodeBridgeEnd(m, &e, &why)) return Fail("bad END: " + why);
        if (!FlushTracks(std::nullopt)) return 1;
        if (!Meta("end", PayloadJson(m), samples_)) return 1;
        return 0;
      }
      case BridgeMessageType::kError: {
        BridgeError e;
        if (!DecodeBridgeError(m, &e, &why)) return Fail("bad ERROR: " + why);
        Meta("error", PayloadJson(m), samples_);
        return Fail("the bridge sent ERROR " + e.code + ": " + e.message);
      }
      case BridgeMessageType::kPong:
        return std::nullopt;
      default:
        return Fail(std::string("unexpected ") + BridgeMessageTypeName(m.type));
    }
  }

  const Options o_;
  File out_;
  File meta_;
  BridgeFd fd_;
  BridgeParser parser_;
  std::optional<SteadyClock::time_point> welcome_at_;
  size_t next_scheduled_ = 0;
  int64_t samples_ = 0;               // per-channel samples written to --out
  std::optional<uint64_t> next_seq_;  // the AUDIO sequence number expected next
  uint64_t frames_ = 0;
  std::vector<PendingTrack> pending_tracks_;
};

}  // namespace
}  // namespace sattva::streamer

int main(int argc, char** argv) {
  using sattva::streamer::Options;
  Options options;
  std::string error;
  if (!sattva::streamer::ParseArgs(argc, argv, &options, &error)) {
    std::fprintf(stderr, "sattva-bridge-client: %s\n", error.c_str());
    sattva::streamer::Usage(stderr);
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = sattva::streamer::OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll returns EINTR at once
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  sattva::streamer::Client client(std::move(options));
  return client.Run();
}
