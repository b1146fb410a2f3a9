#pragma once
// Every connected client's session, and the fan-out of live events to them, without lws.
// The service thread owns it; not thread-safe.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "wsd/client_session.h"
#include "wsd/live_stats.h"
#include "wsd/stream_id.h"
#include "wsd/wire_event.h"

namespace sattva::wsd {

using SessionId = uint64_t;

// What the transport must do after a fan-out step.
struct FanoutActions {
  std::vector<SessionId> writable;  // queued something: request a writable callback
  std::vector<SessionId> dropped;   // overflowed: close as a slow client (a close is requested)
  void Clear() {
    writable.clear();
    dropped.clear();
  }
};

class Fanout {
 public:
  // |queue_limit| is each session's bound (see ClientSession).
  explicit Fanout(size_t queue_limit);

  // Adds a session; ids are never reused.
  SessionId Add();
  void Remove(SessionId id);
  // Null when |id| is unknown.
  ClientSession* Find(SessionId id);
  size_t size() const { return sessions_.size(); }
  std::vector<SessionId> Ids() const;

  // Hands one live event to every session. A slow session is dropped; the others are unaffected.
  void Broadcast(const WireEventPtr& event, FanoutActions* actions);
  // Hands one stats or stream_tick sample to every session (ClientSession::SendSample).
  void BroadcastSample(const LiveSample& sample, FanoutActions* actions);
  // The stream was replaced: every session resyncs.
  void StreamReset(const std::optional<StreamId>& head, FanoutActions* actions);
  // Records the result of one session step in |actions|.
  static void Record(SessionId id, ClientSession::Result r, FanoutActions* actions);

  // The newest event id known here: what a client that connects now has "seen".
  const std::optional<StreamId>& head() const { return head_; }
  void set_head(const std::optional<StreamId>& head) { head_ = head; }

 private:
  const size_t queue_limit_;
  SessionId next_id_ = 1;
  std::map<SessionId, std::unique_ptr<ClientSession>> sessions_;
  std::optional<StreamId> head_;
};

}  // namespace sattva::wsd
