#pragma once
// What the streamer writes to and reads from PostgreSQL.
//
// Records: stream sessions and play history. Writes go through one background thread with its
// own connection, in order, so a slow or restarting PostgreSQL never stalls a stream's 20 ms
// pacing. A failed write is retried (with backoff) until it lands or the queue overflows.
// Thread-safe.
//
// Catalog: the track and stream lookups the players and the supervisor need. One connection
// behind a mutex. Thread-safe; calls block for one query and throw on a PostgreSQL failure.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/pg.h"

namespace sattva::streamer {

class Records {
 public:
  explicit Records(std::unique_ptr<common::Pg> pg);
  Records(const Records&) = delete;
  Records& operator=(const Records&) = delete;
  // Writes what is queued (for up to a few seconds), then stops.
  ~Records();

  // Opens a session for the stream unless one is open (a resumed stream keeps its session).
  void OpenSession(int64_t stream_id, const std::string& at);
  // Ends the open session, if any: auto_end | manual | error | shutdown.
  void EndSession(int64_t stream_id, const std::string& reason, const std::string& detail,
                  const std::string& at);
  // A queue item began (once per item, even when a failover resumes it). `queued_by` is the
  // user who added it (the item's added_by.id), kept when that user still exists.
  void TrackStarted(int64_t stream_id, std::optional<int64_t> track_id, const std::string& item_id,
                    const std::string& at, std::optional<int64_t> queued_by = std::nullopt);
  // The item ended: finished | skipped | error | stopped.
  void TrackEnded(int64_t stream_id, const std::string& item_id, const std::string& reason,
                  const std::string& error, const std::string& at);
  void NoteListeners(int64_t stream_id, int64_t listeners);
  // Blocks until everything queued so far is written (or `timeout_ms` passes). For tests.
  bool Flush(int timeout_ms);

 private:
  using Task = std::function<void(pqxx::connection&)>;
  void Push(Task task);
  void Run();

  std::unique_ptr<common::Pg> pg_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  int64_t pushed_ = 0;
  int64_t done_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

struct TrackSource {
  int64_t id = 0;
  std::string source;  // a path or an http(s) URL
  std::string title;
  std::string artist;
  int64_t duration_ms = 0;
  bool operator==(const TrackSource& o) const {
    return id == o.id && source == o.source && title == o.title && artist == o.artist &&
           duration_ms == o.duration_ms;
  }
};

// A stream that should run, as the supervisor reads it.
struct StreamSpec {
  int64_t id = 0;
  std::string slug;
  std::string title;  // shown in stream_update events
  std::optional<TrackSource> placeholder;
  bool auto_end_enabled = true;
  int64_t auto_end_timeout_s = 300;
  bool operator==(const StreamSpec& o) const {
    return id == o.id && slug == o.slug && title == o.title && placeholder == o.placeholder &&
           auto_end_enabled == o.auto_end_enabled && auto_end_timeout_s == o.auto_end_timeout_s;
  }
};

class Catalog {
 public:
  explicit Catalog(std::unique_ptr<common::Pg> pg) : pg_(std::move(pg)) {}
  // A live (not deleted) track, or nothing.
  std::optional<TrackSource> FindTrack(int64_t track_id);
  // Every live stream whose desired state is running.
  std::vector<StreamSpec> RunningStreams();
  // Records an auto-end: desired state stopped and the session ended, in one transaction.
  // False when the stream was no longer running (someone stopped it first).
  bool AutoEnd(int64_t stream_id, const std::string& at);

 private:
  std::mutex mu_;
  std::unique_ptr<common::Pg> pg_;
};

}  // namespace sattva::streamer
