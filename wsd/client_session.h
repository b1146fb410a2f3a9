#pragma once
// One WebSocket client's state, without lws: its subscription, its bounded outbound queue and
// its resume. Lives on the service thread; not thread-safe.
//
// Ordering rules (docs/architecture.md, "Events"): every event reaches the client once, in id
// order, after the hello. Ids are Redis Stream ids, so they only grow. The session remembers which ids the
// client has seen. A live event at or below the newest one it has seen is a duplicate. This
// happens when the resume read from Redis already held it.
//
// During a resume, live events wait in a side buffer. When the stored events arrive, both
// lists are merged by id and duplicates are dropped. Then the client goes live again.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "wsd/backfill.h"
#include "wsd/stream_id.h"
#include "wsd/subscription.h"
#include "wsd/wire_event.h"

namespace sattva::wsd {

// Close codes wsd uses (RFC 6455).
inline constexpr int kCloseGoingAway = 1001;
inline constexpr int kClosePolicyViolation = 1008;
inline constexpr int kCloseMessageTooBig = 1009;
inline constexpr int kCloseTryAgainLater = 1013;

// The outbound queue holds at most |queue_limit| events plus kControlHeadroom replies and
// control messages (hello, pong, error, resync_required), so a full resume does not by itself
// overflow it and a client that sends pings without reading is still bounded.
inline constexpr size_t kControlHeadroom = 16;

struct CloseRequest {
  int code = 0;
  std::string reason;
};

// The kinds of sample a client holds at most one of (SendSample).
enum class Sample : uint8_t { kNone = 0, kStats, kStreamTick };

class ClientSession {
 public:
  enum class Result {
    kNothing,   // nothing new to send (filtered, duplicate, or held for a resume)
    kQueued,    // a message was queued: ask for a writable callback
    kOverflow,  // the queue overflowed: the session now has a close request (slow client)
  };

  // |queue_limit| bounds the events in the outbound queue and the events of a resume.
  explicit ClientSession(size_t queue_limit);

  // A live event from the stream, in id order.
  Result OnLiveEvent(const WireEventPtr& event);
  // A reply or control message (hello, pong, error).
  Result SendControl(Message message);
  Result SendControl(std::string message);
  // A sample (stats, stream_tick: no id, not resumable) of event type |type|, if the
  // subscription wants it. One the client has not been sent yet is replaced in place, so a slow
  // client holds at most one of each kind; samples count against neither queue bound. Dropped
  // while a resume or snapshot is pending.
  Result SendSample(Sample kind, const std::string& type, Message message);

  void SetSubscription(const std::vector<std::string>& types) { subscription_.Set(types); }
  // Whether this client gets the redacted variant of events (WireEvent::redacted): its
  // principal lacks `users.view`. Set once, before any event is delivered.
  void set_redacted(bool redacted) { redacted_ = redacted; }
  bool redacted() const { return redacted_; }
  const Subscription& subscription() const { return subscription_; }

  // Starts a resume (the caller asks the backfill thread for the stored events). Live events
  // are held until OnBackfill with the returned generation. Returns false (and changes
  // nothing) when a resume is already running.
  bool BeginResume(uint64_t* generation);
  // The stored events for the resume |generation|. A stale generation is ignored.
  Result OnBackfill(uint64_t generation, const Backfill& backfill);
  // The stream was replaced (ids went backwards): forget the seen ids, cancel a running
  // resume, and tell the client to resync.
  Result OnStreamReset();
  bool resuming() const { return resuming_; }

  bool HasOutbound() const { return !queue_.empty(); }
  size_t queued() const { return queue_.size(); }
  // Removes and returns the oldest queued message; null when the queue is empty.
  Message PopOutbound();

  // Asks for the connection to be closed; the first request wins. Clears the queue.
  void RequestClose(int code, const std::string& reason);
  const std::optional<CloseRequest>& close_request() const { return close_; }

  // The newest event id the client has seen (delivered or filtered out), if any.
  const std::optional<StreamId>& cursor() const { return cursor_; }

 private:
  struct Queued {
    Message message;
    bool event;
    Sample sample = Sample::kNone;
  };
  Result Push(Message message, bool event);
  // Queues |event| if the subscription wants it and advances the cursor.
  Result Deliver(const WireEventPtr& event);
  bool Seen(const StreamId& id) const;

  const size_t queue_limit_;
  Subscription subscription_;
  bool redacted_ = false;
  std::deque<Queued> queue_;
  size_t queued_events_ = 0;
  size_t queued_controls_ = 0;
  unsigned queued_samples_ = 0;  // bit (1 << Sample) set while one of that kind is queued
  std::optional<CloseRequest> close_;

  // The client has seen every event in [seen_from_, cursor_] (both set or both unset).
  std::optional<StreamId> seen_from_;
  std::optional<StreamId> cursor_;

  bool resuming_ = false;
  uint64_t resume_generation_ = 0;
  std::deque<WireEventPtr> held_;  // live events that arrived during the resume
  bool held_truncated_ = false;
};

}  // namespace sattva::wsd
