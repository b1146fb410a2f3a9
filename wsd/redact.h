#pragma once
// What a principal without `users.view` may not see in events and snapshots: who added or
// queued an item, who acted, and any email. The keys below are removed at any depth, and the
// redacted form is built once per event (stream_entry.cc), never per client. Thread-safe.

#include <json/json.h>

#include <string>

namespace sattva::wsd {

// "added_by", "queued_by", "actor", "email".
bool IsRedactedKey(const std::string& key);

// Removes every redacted key from |v| at any depth (objects inside objects and arrays).
// Returns true when something was removed.
bool Redact(Json::Value* v);

}  // namespace sattva::wsd
