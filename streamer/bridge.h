#pragma once
// The bridge sink: serves a stream's audio to one voice-call connector (e.g. a Telegram
// group-call client) over a local unix stream socket, and takes the call's participant count
// back as this sink's Listeners(). The wire format is streamer/bridge_protocol.h; connector
// authors read docs/bridge-protocol.md.
//
// One connector at a time. A connection becomes the connector once it sends HELLO (protocol 1)
// within hello_timeout_ms; it then gets WELCOME, the current TRACK and the AUDIO frames from
// there on. A newer connection that completes HELLO replaces the connector, which gets
// END {"reason":"replaced"} and is closed. A connection that sends a malformed or unexpected
// message gets ERROR and is closed.
//
// The player's calls (OnFrame, OnTrack, OnEnd) never block on the connector: they append to a
// bounded buffer under a mutex and wake the bridge thread, which does all socket I/O. When a
// slow connector lets more than max_buffered_ms of audio queue up, the oldest AUDIO frames are
// dropped (never TRACK or END) and counted in frames_dropped. Frame sequence numbers count
// every OnFrame, connector or not, so they measure stream time.
//
// Thread safety: OnFrame, OnTrack and OnEnd are called from one (player) thread. Listeners(),
// Stats(), SetListenersChanged() and socket_path() may be called from any thread. Start() and
// Stop() are called from one owning thread (not concurrently with each other); the destructor
// calls Stop(). The listeners-changed callback runs on the bridge thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

#include "streamer/audio.h"
#include "streamer/bridge_protocol.h"

namespace sattva::streamer {

struct BridgeOptions {
  // A connection must send HELLO within this, else it gets ERROR hello_timeout and is closed.
  int hello_timeout_ms = 5000;
  // At most this much audio waits for a slow connector; older frames are dropped.
  int max_buffered_ms = 1000;
  // After END (OnEnd, replaced) or ERROR, how long the bridge keeps trying to deliver what is
  // queued before it closes the connection.
  int close_flush_timeout_ms = 1000;
};

struct BridgeStats {
  bool connected = false;        // a connector has completed HELLO and gets audio
  uint64_t frames_sent = 0;      // AUDIO frames fully written to connectors
  uint64_t frames_dropped = 0;   // AUDIO frames dropped because a connector was too slow
  int64_t participants = 0;      // == Listeners()
  uint64_t buffered_frames = 0;  // AUDIO frames queued now (at most max_buffered_ms / 20)
  uint64_t connections = 0;      // connectors that completed HELLO since Start
  uint64_t next_seq = 0;         // the sequence number the next OnFrame gets
};

class BridgeSink : public Sink {
 public:
  // `socket_path` is normally <bridge_dir>/<slug>.sock.
  BridgeSink(std::string socket_path, int64_t stream_id, std::string slug,
             BridgeOptions options = {});
  ~BridgeSink() override;
  BridgeSink(const BridgeSink&) = delete;
  BridgeSink& operator=(const BridgeSink&) = delete;

  // Creates the socket (mode 0660; parent directories as needed) and starts the bridge thread.
  // A socket file nobody accepts on (left by a crash) is replaced; a live one, or a path that
  // is not a socket, is an error. Returns false with a reason in *error. Call at most once.
  bool Start(std::string* error);
  // Finishes the connector's conversation: after OnEnd, the audio still queued and the END;
  // otherwise END {"reason":"shutdown"} (queued audio is dropped). Waits at most
  // close_flush_timeout_ms for a slow connector to take it, closes every connection, joins the
  // thread and removes the socket file (if it is still the one Start created). Idempotent.
  void Stop();

  // Sink. Never block.
  void OnFrame(const PcmFrame& frame) override;
  void OnTrack(const TrackInfo& track) override;
  void OnEnd(const std::string& reason) override;
  // The connector's last PARTICIPANTS count; 0 with no connector or before its first report.
  int64_t Listeners() const override;

  // Called on the bridge thread whenever Listeners() changes. Replaces any earlier callback.
  // The callback must not call Stop() (Stop joins the bridge thread).
  void SetListenersChanged(std::function<void()> callback);
  BridgeStats Stats() const;
  const std::string& socket_path() const { return socket_path_; }

 private:
  struct Connection;
  enum class ItemKind { kAudio, kControl, kEnd };
  struct QueuedItem {
    ItemKind kind;
    std::string bytes;  // one whole framed message
  };

  // Bridge thread.
  void Run();
  void AcceptConnections();
  void ReadFrom(Connection* c);
  void HandleMessage(Connection* c, const BridgeMessage& m);
  void Promote(Connection* c, const std::string& client);
  // Ends `c` with `final_message` (END or ERROR) after its in-flight bytes and closes it once
  // that is written or close_flush_timeout_ms passes. Works for the pending connection, the
  // connector and ones already closing (no-op).
  void Retire(Connection* c, const BridgeMessage& final_message);
  void Flush(Connection* c);
  void DropConnector();
  void SetParticipants(int64_t count);
  void Wake();
  // Pushes under mu_; drops the oldest audio beyond the limit.
  void PushLocked(ItemKind kind, std::string bytes);
  void ClearQueueLocked();

  const std::string socket_path_;
  const int64_t stream_id_;
  const std::string slug_;
  const BridgeOptions options_;
  const size_t max_buffered_frames_;

  // Owned by the thread that calls Start/Stop. wake_fd_ lives until the destructor, so the
  // player may wake the thread (through wake_raw_) at any time.
  BridgeFd listen_fd_;
  BridgeFd wake_fd_;
  std::atomic<int> wake_raw_{-1};
  std::thread thread_;
  bool started_ = false;
  bool stopped_ = false;
  dev_t socket_dev_ = 0;
  ino_t socket_ino_ = 0;

  // Bridge thread only.
  std::unique_ptr<Connection> pending_;    // connected, waiting for HELLO
  std::unique_ptr<Connection> connector_;  // completed HELLO; fed from queue_
  std::vector<std::unique_ptr<Connection>> closing_;
  uint64_t next_connection_id_ = 1;
  uint64_t dropped_logged_ = 0;
  std::chrono::steady_clock::time_point last_drop_log_{};

  mutable std::mutex mu_;
  std::deque<QueuedItem> queue_;        // guarded by mu_: the connector's pending messages
  size_t queued_audio_ = 0;             // guarded by mu_
  bool subscribed_ = false;             // guarded by mu_: a connector wants queue_ filled
  uint64_t next_seq_ = 0;               // guarded by mu_
  std::optional<BridgeTrack> track_;    // guarded by mu_: the last OnTrack
  bool ended_ = false;                  // guarded by mu_
  std::string end_reason_;              // guarded by mu_
  bool stop_ = false;                   // guarded by mu_
  std::function<void()> on_listeners_;  // guarded by mu_

  std::atomic<bool> connected_{false};
  std::atomic<int64_t> participants_{0};
  std::atomic<uint64_t> frames_sent_{0};
  std::atomic<uint64_t> frames_dropped_{0};
  std::atomic<uint64_t> connections_{0};
};

}  // namespace sattva::streamer
