#include "wsd/backfill.h"

#include <algorithm>

#include "common/log.h"

namespace sattva::wsd {

Backfill PlanBackfill(const StreamId& after, const std::optional<StreamId>& oldest,
                      const std::vector<StreamEntry>& newest_first, size_t limit) {
  Backfill b;
  b.lower = after;
  if (!oldest) return b;  // Empty stream: nothing stored, nothing known to be missing.
  if (newest_first.empty()) {
    // No entry at or after |after|: the id is newer than anything this stream holds.
    b.lower.reset();
    b.resync = true;
    return b;
  }
  // Entries strictly after |after|, newest first.
  std::vector<const StreamEntry*> newer;
  bool found_after = false;
  for (const StreamEntry& e : newest_first) {
    std::optional<StreamId> id = StreamId::Parse(e.id);
    if (!id) {
      LOG_WARN << "skipping stream entry with a bad id '" << e.id << "'";
      continue;
    }
    if (*id == after) {
      found_after = true;
      continue;
    }
    if (*id > after) newer.push_back(&e);
  }
  if (newer.size() > limit) {
    newer.resize(limit);
    b.resync = true;
  } else if (!found_after && newest_first.size() > limit) {
    // limit + 1 entries came back and none was |after|: more than |limit| are missing.
    b.resync = true;
  } else if (!found_after && after < *oldest) {
    b.resync = true;  // Trimmed past the client's id.
  }
  std::reverse(newer.begin(), newer.end());
  for (const StreamEntry* e : newer) {
    WireEventPtr w;
    std::string error;
    if (!ToWireEvent(*e, &w, &error)) {
      LOG_WARN << "skipping malformed event " << e->id << ": " << error;
      continue;
    }
    b.events.push_back(std::move(w));
  }
  return b;
}

Backfill PlanSnapshotBackfill(const std::optional<StreamId>& snapshot_id,
                              const std::optional<StreamId>& oldest,
                              const std::vector<StreamEntry>& newest_first, size_t limit) {
  if (snapshot_id) return PlanBackfill(*snapshot_id, oldest, newest_first, limit);
  // 0-0 is below every id, so PlanBackfill would take the stream's start for a trim; here
  // nothing was before the snapshot, so only the limit can cut.
  Backfill b = PlanBackfill(StreamId{0, 0}, oldest, newest_first, limit);
  b.resync = newest_first.size() > limit;
  b.lower = StreamId{0, 0};
  return b;
}

Backfill UnavailableBackfill(const StreamId& after) {
  Backfill b;
  b.lower = after;
  b.resync = true;
  return b;
}

}  // namespace sattva::wsd
