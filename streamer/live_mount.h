#pragma once
// The live mount: every running stream's audio, encoded once per format and fanned out to every
// HTTP listener (streamer/http_server.h) as shared, immutable chunks.
//
//   player thread ──OnFrame──▶ LiveSink ──LiveEncoder (only while a format has listeners)──┐
//                                                                                          ▼
//   HTTP server thread ◀──observer wake-up── Broadcast (header + ring of recent chunks) ◀──┘
//
// A listener is a Cursor into a Broadcast: no per-listener copy of any byte is made, a listener
// only holds references to the chunks it is writing. A listener whose cursor falls out of the
// ring (it lags more than `max_lag_ms` of audio) is too slow and is dropped by the server.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "streamer/audio.h"
#include "streamer/encoder.h"

namespace sattva::streamer {

// A mount slug: ^[a-z0-9][a-z0-9-]{0,62}$.
bool IsValidMountSlug(const std::string& slug);

struct BroadcastOptions {
  // The ring keeps this much of the most recent audio. A listener further behind is too slow.
  // Durations are what the publisher reports for each chunk (LiveSink: the 20 ms frames that
  // went into it).
  int64_t max_lag_ms = 10000;
  // A hard cap on the ring's bytes, whatever the durations say.
  size_t max_bytes = 4 << 20;
};

// One stream in one format: the format header and a ring of recent chunks with increasing
// sequence numbers. Thread-safe: producer (Start, Publish, Interrupt, StopIfIdle, End) and
// listener (Join, Leave, Read, TooSlow) methods may be called from any threads.
//
// A broadcast goes through runs: Start(header) begins one (the encoder started), and a run
// lasts until Interrupt() (the encoder failed), StopIfIdle() (nobody listens any more), a new
// Start() or End(). A listener reads one run: the header, then chunks. When its run ends it
// drains what the run published and then gets end-of-stream. A listener that joins while no run
// is open waits (Read gives no data) for the next Start. End() is final.
class Broadcast {
 public:
  // Where a listener stands. Only Broadcast reads or changes the fields.
  struct Cursor {
    int64_t burst_ms = 0;      // audio to start with, from before the join
    bool started = false;      // false: waiting for a run to open
    uint64_t wait_run = 0;     // while waiting: the run counter at Join
    uint64_t wait_epoch = 0;   // while waiting: the interrupt counter at Join
    uint64_t run = 0;          // once started: the run read
    size_t header_offset = 0;  // bytes of the header already consumed
    bool header_done = false;
    uint64_t seq = 0;   // the next chunk to consume
    size_t offset = 0;  // bytes of chunk `seq` already consumed
  };

  // A piece of the header or of one chunk, from `offset` to the end of `data`.
  struct Slice {
    std::shared_ptr<const std::string> data;
    size_t offset = 0;
    bool header = false;
    uint64_t seq = 0;  // chunks only
    const char* begin() const { return data->data() + offset; }
    size_t size() const { return data->size() - offset; }
  };

  enum class ReadResult {
    kData,     // the slices (maybe none yet) are what is there now; more may follow
    kEnd,      // the slices are the last of this listener's stream: close after them
    kTooSlow,  // the cursor fell out of the ring: drop the listener
  };

  // Told, with the broadcast's lock held and from the producer's thread, that something changed
  // (a start, a chunk, an end). Must be quick and must not call back into the broadcast.
  class Observer {
   public:
    virtual ~Observer() = default;
    virtual void OnBroadcastUpdate(Broadcast* broadcast) = 0;
  };

  explicit Broadcast(BroadcastOptions options = {});
  Broadcast(const Broadcast&) = delete;
  Broadcast& operator=(const Broadcast&) = delete;

  // --- producer ---
  // Begins a new run with `header` (Ogg: the OpusHead and OpusTags pages; MP3: empty) and an
  // empty ring. Listeners of an older run get end-of-stream. Ignored after End().
  void Start(std::string header);
  // Appends one chunk carrying `duration_ms` of audio to the open run. Ignored (false) when no
  // run is open or the chunk is empty.
  bool Publish(std::string chunk, int64_t duration_ms = kFrameMs);
  // Ends the current run (if any): its listeners, and listeners waiting for a run, drain and
  // get end-of-stream. A later Start() serves new listeners.
  void Interrupt();
  // When no listener is joined, closes the open run, frees the ring and returns true: the next
  // listener waits for a fresh Start(). Returns false (and changes nothing) otherwise.
  bool StopIfIdle();
  // End of the stream: every listener drains what is left and gets end-of-stream; later joins
  // get end-of-stream at once. Final.
  void End();

  // --- listeners ---
  // Registers a listener and returns its cursor. When a run is open the cursor starts about
  // `burst_ms` of audio back (the oldest chunk needed to cover it), after the header. Otherwise
  // it waits, and starts at the beginning of the next run.
  Cursor Join(int64_t burst_ms);
  void Leave(bool dropped_slow);
  // Appends up to `max_slices` slices (stopping once `max_bytes` is reached) of what `cursor`
  // has not consumed yet. May start a waiting cursor. Does not consume: see Advance.
  ReadResult Read(Cursor* cursor, size_t max_slices, size_t max_bytes, std::vector<Slice>* out);
  // Marks the first `bytes` of `slices` (from the last Read for this cursor) consumed.
  static void Advance(const std::vector<Slice>& slices, size_t bytes, Cursor* cursor);
  // True when the cursor's next chunk has already left the ring.
  bool TooSlow(const Cursor& cursor) const;
  // The server counts the body bytes it wrote.
  void AddBytesSent(uint64_t bytes) { bytes_sent_.fetch_add(bytes, std::memory_order_relaxed); }

  void AddObserver(Observer* observer);
  // After it returns the observer is not called any more.
  void RemoveObserver(Observer* observer);

  // --- state ---
  int64_t listeners() const { return listeners_.load(std::memory_order_relaxed); }
  uint64_t bytes_sent() const { return bytes_sent_.load(std::memory_order_relaxed); }
  uint64_t dropped_slow() const { return dropped_slow_.load(std::memory_order_relaxed); }
  bool running() const;  // a run is open
  bool ended() const;
  // The sequence number the next published chunk gets (the first is 0).
  uint64_t next_seq() const;
  // Chunks and bytes in the ring now.
  size_t ring_chunks() const;
  size_t ring_bytes() const;

 private:
  struct Entry {
    uint64_t seq;
    std::shared_ptr<const std::string> data;
    int64_t duration_ms;
  };

  // mu_ held. A cursor that joined during the run starts burst_ms back; one that waited for the
  // run starts at the run's first chunk still in the ring.
  void StartCursorLocked(Cursor* cursor, bool from_run_start) const;
  void NotifyLocked();

  const BroadcastOptions options_;
  mutable std::mutex mu_;
  std::shared_ptr<const std::string> header_;  // guarded by mu_; null before the first Start
  std::deque<Entry> ring_;                     // guarded by mu_
  size_t ring_bytes_ = 0;                      // guarded by mu_
  int64_t ring_ms_ = 0;                        // guarded by mu_
  uint64_t next_seq_ = 0;                      // guarded by mu_
  uint64_t run_ = 0;                           // guarded by mu_; counts Start()s
  uint64_t epoch_ = 0;                         // guarded by mu_; counts Interrupt()s
  bool open_ = false;                          // guarded by mu_
  bool ended_ = false;                         // guarded by mu_
  std::vector<Observer*> observers_;           // guarded by mu_
  std::atomic<int64_t> listeners_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  std::atomic<uint64_t> dropped_slow_{0};
};

// Makes the encoder for a format; the default is LiveEncoder::Create. Tests inject fakes.
using LiveEncoderFactory =
    std::function<std::unique_ptr<LiveEncoder>(LiveFormat format, std::string* error)>;

struct LiveSinkOptions {
  BroadcastOptions broadcast;
  // A format keeps encoding this long (stream time: OnFrame calls × 20 ms) after its last
  // listener left, so a reconnecting listener finds it warm.
  int64_t idle_stop_ms = 5000;
  // After an encoder failure, the format is not tried again for this long (stream time).
  int64_t retry_ms = 1000;
  LiveEncoderFactory encoder_factory;  // empty: LiveEncoder::Create
};

struct LiveSinkStats {
  int64_t listeners_ogg = 0;
  int64_t listeners_mp3 = 0;
  uint64_t bytes_sent = 0;     // body bytes written to listeners, both formats
  uint64_t dropped_slow = 0;   // listeners dropped for lagging, both formats
  uint64_t encode_errors = 0;  // encoders that failed to start or to encode
};

// One stream's live mount: a Broadcast per format, each fed by an encoder that runs only while
// the format has listeners (or had some within idle_stop_ms). With no listener, OnFrame costs two
// atomic loads. The first listener of a format waits for the next OnFrame to start the encoder
// and for its first chunk (an Ogg page or MP3 frames), typically well under 100 ms.
//
// Each chunk's duration (for the ring's budget and the burst) is the number of frames encoded
// since the previous chunk, × 20 ms, shared between the chunks one Encode call returns.
//
// Threads: OnFrame, OnTrack and OnEnd come from the player's one thread. Everything else is
// thread-safe. An encoder failure is counted (encode_errors) and logged; that format's
// listeners get end-of-stream, and the encoder is tried again after retry_ms if listeners come.
class LiveSink : public Sink {
 public:
  explicit LiveSink(std::string slug, LiveSinkOptions options = {});
  LiveSink(const LiveSink&) = delete;
  LiveSink& operator=(const LiveSink&) = delete;
  ~LiveSink() override;

  // Sink.
  void OnFrame(const PcmFrame& frame) override;
  void OnTrack(const TrackInfo& track) override;  // nothing: the live mount carries no metadata
  // Finishes the encoders, publishes their tail and ends both broadcasts.
  void OnEnd(const std::string& reason) override;
  // Connected listeners over both formats.
  int64_t Listeners() const override;

  int64_t Listeners(LiveFormat format) const;
  LiveSinkStats Stats() const;
  const std::string& slug() const { return slug_; }
  // Called on every join and leave, from the thread that calls Join/Leave (the server's).
  void SetListenersChanged(std::function<void()> callback);
  // Ends both broadcasts now (a removed mount). OnFrame does nothing afterwards.
  void Close();
  // True after OnEnd or Close.
  bool ended() const { return ended_.load(); }
  // Whether an encoder runs for `format` now.
  bool encoding(LiveFormat format) const;

  // For the HTTP server.
  Broadcast& broadcast(LiveFormat format) { return format_[Index(format)].broadcast; }
  Broadcast::Cursor Join(LiveFormat format, int64_t burst_ms);
  void Leave(LiveFormat format, bool dropped_slow);

 private:
  struct Format {
    explicit Format(const BroadcastOptions& options) : broadcast(options) {}
    Broadcast broadcast;
    std::atomic<bool> encoding{false};
    // Player thread only.
    std::unique_ptr<LiveEncoder> encoder;
    int64_t idle_frames = 0;     // frames since a listener was last seen
    int64_t retry_frames = 0;    // frames to wait before trying the encoder again
    int64_t pending_frames = 0;  // frames encoded since the last chunk
  };

  static int Index(LiveFormat format) { return format == LiveFormat::kMp3 ? 1 : 0; }
  static LiveFormat FormatOf(int index) {
    return index == 1 ? LiveFormat::kMp3 : LiveFormat::kOggOpus;
  }
  void EncodeFormat(int index, const PcmFrame& frame);
  void PublishChunks(Format& f, std::vector<std::string>* chunks);
  void FailFormat(Format& f, LiveFormat format, const std::string& what, const std::string& error);
  void NotifyListenersChanged();

  const std::string slug_;
  const LiveSinkOptions options_;
  Format format_[2];
  std::atomic<bool> ended_{false};
  std::atomic<uint64_t> encode_errors_{0};
  std::vector<std::string> chunks_;  // player thread only: reused

  std::mutex callback_mu_;
  std::function<void()> listeners_changed_;  // guarded by callback_mu_
};

// slug → LiveSink, shared by the players (Add/Remove) and the HTTP server (Find).
// Thread-safe.
class MountRegistry {
 public:
  // Mounts `sink` at `slug`. A mount already there is replaced and closed for its listeners.
  // Returns false (and mounts nothing) for an invalid slug or a null sink.
  bool Add(const std::string& slug, std::shared_ptr<LiveSink> sink);
  // Unmounts `slug` and closes the mount for its listeners. With `only` set, only when `only` is
  // what is mounted there (so a stale player cannot remove its successor). Returns the removed
  // mount or null.
  std::shared_ptr<LiveSink> Remove(const std::string& slug, const LiveSink* only = nullptr);
  std::shared_ptr<LiveSink> Find(const std::string& slug) const;
  std::vector<std::string> Slugs() const;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<LiveSink>> mounts_;  // guarded by mu_
};

}  // namespace sattva::streamer
