#pragma once
// Redis Stream entries as hiredis returns them, and their conversion into WireEvents.
// All functions are thread-safe.

#include <hiredis/hiredis.h>

#include <string>
#include <utility>
#include <vector>

#include "wsd/wire_event.h"

namespace sattva::wsd {

struct StreamEntry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;
};

// Parses an XRANGE / XREVRANGE reply (an array of [id, [field, value, ...]]). Returns false and
// sets *error when the reply has another shape.
bool ParseRangeReply(const redisReply* reply, std::vector<StreamEntry>* out, std::string* error);
// Parses an XREAD reply for one stream: nil (the BLOCK timed out) or [[key, entries]].
bool ParseXreadReply(const redisReply* reply, std::vector<StreamEntry>* out, std::string* error);

// Builds the wire form of one entry: common::EventFromFields, common::EventEnvelope and
// common::WriteJson, once; and its redacted form (wsd/redact.h) when that differs. Returns false
// (and sets *error) when the entry is malformed.
bool ToWireEvent(const StreamEntry& entry, WireEventPtr* out, std::string* error);

}  // namespace sattva::wsd
