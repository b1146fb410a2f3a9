#pragma once
// One event as wsd fans it out: its id and type for filtering and dedup, and its envelope
// serialised once and shared by every client queue that holds it.

#include <memory>
#include <string>

#include "wsd/stream_id.h"

namespace sattva::wsd {

// A serialised server -> client message, shared between client queues.
using Message = std::shared_ptr<const std::string>;

struct WireEvent {
  StreamId id;
  std::string type;
  Message json;
  // The envelope without what a principal lacking `users.view` may not see (wsd/redact.h);
  // null when that is all of |json| (nothing was removed).
  Message redacted;
};

// Immutable once built, so it is safe to share between threads.
using WireEventPtr = std::shared_ptr<const WireEvent>;

}  // namespace sattva::wsd
