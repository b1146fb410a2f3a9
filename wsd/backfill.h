#pragma once
// Resume: which stored events a reconnecting client gets before the live ones. Plain functions
// and data, thread-safe.

#include <cstddef>
#include <optional>
#include <vector>

#include "wsd/stream_entry.h"
#include "wsd/stream_id.h"
#include "wsd/wire_event.h"

namespace sattva::wsd {

struct Backfill {
  // Stored events after the client's id, oldest first; at most the limit it was planned with.
  std::vector<WireEventPtr> events;
  // Some events between the client's id and `events` are gone (trimmed, or more than the limit):
  // the client must refetch its state ({"type":"resync_required"} goes first).
  bool resync = false;
  // The client has every event up to and including this id. nullopt when the id is unknown to
  // this stream (newer than its newest entry, e.g. after a Redis reset): nothing is assumed.
  std::optional<StreamId> lower;
  // For a snapshot request: the snapshot message (full, and redacted or null when it is the
  // same), sent before `events`, which are the ones after its last_event_id (`lower`).
  Message snapshot;
  Message snapshot_redacted;
};

// Plans a resume after |after|.
//   |oldest|: the stream's first entry id, nullopt when the stream is empty
//             (XRANGE key - + COUNT 1).
//   |newest_first|: XREVRANGE key + <after> COUNT <limit + 1>.
// Malformed entries are logged and skipped.
Backfill PlanBackfill(const StreamId& after, const std::optional<StreamId>& oldest,
                      const std::vector<StreamEntry>& newest_first, size_t limit);

// A backfill for when Redis cannot be asked: no events, and the client must resync.
Backfill UnavailableBackfill(const StreamId& after);

// Plans the events after a snapshot whose newest event was |snapshot_id| (nullopt: the stream
// was empty then, so every entry now is newer and none can be missing but by the limit).
// |newest_first| is XREVRANGE key + <snapshot_id or -> COUNT <limit + 1>.
Backfill PlanSnapshotBackfill(const std::optional<StreamId>& snapshot_id,
                              const std::optional<StreamId>& oldest,
                              const std::vector<StreamEntry>& newest_first, size_t limit);

}  // namespace sattva::wsd
