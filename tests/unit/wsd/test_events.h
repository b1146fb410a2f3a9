#pragma once
// Helpers for the wsd unit tests: small WireEvents and stream entries.

#include <memory>
#include <string>

#include "wsd/stream_entry.h"
#include "wsd/wire_event.h"

namespace sattva::wsd::testing {

inline WireEventPtr Ev(uint64_t ms, uint64_t seq = 0, const std::string& type = "stats") {
  auto e = std::make_shared<WireEvent>();
  e->id = StreamId{ms, seq};
  e->type = type;
  e->json = std::make_shared<const std::string>("{\"id\":\"" + e->id.ToString() + "\",\"type\":\"" +
                                                type + "\"}");
  return e;
}

inline StreamEntry Entry(const std::string& id, const std::string& type = "stats",
                         const std::string& data = "{}") {
  StreamEntry e;
  e.id = id;
  e.fields = {{"type", type}, {"ts", "2026-01-01T00:00:00.000Z"}, {"data", data}};
  return e;
}

}  // namespace sattva::wsd::testing
