#pragma once
// JSON helpers over jsoncpp. Parsing is strict: no comments, no trailing garbage, no duplicate
// keys, bounded depth, and the input must be valid UTF-8. Writing is compact UTF-8.
// All functions are thread-safe.

#include <string>

#include <json/json.h>

namespace sattva::common {

// Returns false and sets *error to a human-readable reason when `text` is not one JSON value.
bool ParseJson(const std::string& text, Json::Value* out, std::string* error);
std::string WriteJson(const Json::Value& v);
bool IsValidUtf8(const std::string& s);
// JSON for a 64-bit id; jsoncpp keeps Int64 exact.
inline Json::Value JsonInt(int64_t v) { return Json::Value(static_cast<Json::Int64>(v)); }

}  // namespace sattva::common
