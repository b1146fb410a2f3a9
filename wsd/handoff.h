#pragma once
// Hand-off between the Redis threads and the lws service thread. Producers push under a mutex
// and call |wake| (lws_cancel_service in the daemon). The service thread drains everything
// when LWS_CALLBACK_EVENT_WAIT_CANCELLED arrives. All classes here are thread-safe.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "wsd/backfill.h"
#include "wsd/stream_id.h"
#include "wsd/wire_event.h"

namespace sattva::wsd {

struct RingItem {
  enum class Kind {
    kEvent,  // |event| is the next live event
    kHead,   // the reader (re)started at |head| (nullopt: the stream is empty)
    kReset,  // the stream was replaced; new events follow |head|
  };
  Kind kind = Kind::kEvent;
  WireEventPtr event;
  std::optional<StreamId> head;
};

// A bounded FIFO ring from the reader thread to the service thread. It never drops items:
// when it is full, Push waits for the service thread to drain it.
class EventRing {
 public:
  // |wake| is called after every push, from the pushing thread.
  EventRing(size_t capacity, std::function<void()> wake);
  EventRing(const EventRing&) = delete;
  EventRing& operator=(const EventRing&) = delete;

  // Waits while the ring is full. Returns false, without pushing, once Stop() was called.
  bool Push(RingItem item);
  // Moves every queued item, oldest first, to the end of |out|.
  void Drain(std::vector<RingItem>* out);
  // Wakes and fails every waiting and later Push.
  void Stop();
  size_t size() const;

 private:
  const std::function<void()> wake_;
  mutable std::mutex mu_;
  std::condition_variable not_full_;
  std::vector<RingItem> slots_;  // guarded by mu_
  size_t head_ = 0;              // guarded by mu_: index of the oldest item
  size_t count_ = 0;             // guarded by mu_
  bool stopped_ = false;         // guarded by mu_
};

struct BackfillRequest {
  uint64_t session = 0;
  uint64_t generation = 0;
  StreamId after;
  // Instead of the events after |after|: a snapshot, then the events after its id.
  bool snapshot = false;
};

struct BackfillReply {
  uint64_t session = 0;
  uint64_t generation = 0;
  Backfill backfill;
};

// Resume requests from the service thread to the backfill thread, and replies back.
class BackfillExchange {
 public:
  // |wake| is called after every reply, from the replying thread.
  explicit BackfillExchange(std::function<void()> wake);
  BackfillExchange(const BackfillExchange&) = delete;
  BackfillExchange& operator=(const BackfillExchange&) = delete;

  void Request(BackfillRequest request);
  // Blocks until a request is there or Stop() was called; false when stopped.
  bool NextRequest(BackfillRequest* out);
  void Reply(BackfillReply reply);
  void DrainReplies(std::vector<BackfillReply>* out);
  void Stop();

 private:
  const std::function<void()> wake_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<BackfillRequest> requests_;  // guarded by mu_
  std::vector<BackfillReply> replies_;    // guarded by mu_
  bool stopped_ = false;                  // guarded by mu_
};

}  // namespace sattva::wsd
