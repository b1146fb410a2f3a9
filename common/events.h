#pragma once
// The event stream sattva:events (docs/architecture.md, "Events"). Whoever makes a change
// writes one entry: fields type, stream_id (absent when none), ts (ISO-8601 UTC ms) and data
// (a JSON object as a string). The entry id is the event id.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <json/json.h>

namespace sattva::common {

class Clock;
class Redis;

inline constexpr const char* kEventsKey = "sattva:events";

struct Event {
  std::string id;
  std::string type;
  std::optional<int64_t> stream_id;
  std::string ts;
  Json::Value data{Json::objectValue};
};

// Writes events with XADD ... MAXLEN ~ maxlen. Uses the caller's Redis (not thread-safe, like it).
class EventWriter {
 public:
  // |redis| and |clock| must outlive the writer.
  EventWriter(Redis& redis, const Clock& clock, int64_t maxlen);
  // Returns the new entry id. Throws RedisError, or std::invalid_argument when `data` is not an
  // object or `type` is empty.
  std::string Publish(const std::string& type, std::optional<int64_t> stream_id,
                      const Json::Value& data);

 private:
  Redis& redis_;
  const Clock& clock_;
  int64_t maxlen_;
};

// Builds an Event from a stream entry's id and flat field list. Returns false (and sets *error)
// when a field is missing or malformed.
bool EventFromFields(const std::string& id,
                     const std::vector<std::pair<std::string, std::string>>& fields, Event* out,
                     std::string* error);
// The envelope wsd sends: {"id","type","stream_id":N|null,"ts","data":{...}}.
Json::Value EventEnvelope(const Event& e);

}  // namespace sattva::common
