#include "common/events.h"

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

#include "common/clock.h"
#include "common/json.h"
#include "common/redis.h"

namespace sattva::common {

EventWriter::EventWriter(Redis& redis, const Clock& clock, int64_t maxlen)
    : redis_(redis), clock_(clock), maxlen_(maxlen) {}

std::string EventWriter::Publish(const std::string& type, std::optional<int64_t> stream_id,
                                 const Json::Value& data) {
  if (type.empty()) throw std::invalid_argument("event type is empty");
  if (!data.isObject()) throw std::invalid_argument("event data must be a JSON object");
  std::vector<std::string> args = {"XADD", kEventsKey, "MAXLEN", "~", std::to_string(maxlen_),
                                   "*",    "type",     type};
  if (stream_id) {
    args.push_back("stream_id");
    args.push_back(std::to_string(*stream_id));
  }
  args.push_back("ts");
  args.push_back(IsoUtcMillis(clock_.WallNow()));
  args.push_back("data");
  args.push_back(WriteJson(data));
  RedisReplyPtr r = redis_.Checked(args);
  return ReplyString(r.get());
}

bool EventFromFields(const std::string& id,
                     const std::vector<std::pair<std::string, std::string>>& fields, Event* out,
                     std::string* error) {
  Event e;
  e.id = id;
  bool have_data = false;
  for (const auto& [k, v] : fields) {
    if (k == "type") {
      e.type = v;
    } else if (k == "stream_id") {
      errno = 0;
      char* end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || errno != 0 || *end != '\0') {
        *error = "stream_id is not an integer: '" + v + "'";
        return false;
      }
      e.stream_id = n;
    } else if (k == "ts") {
      e.ts = v;
    } else if (k == "data") {
      std::string err;
      if (!ParseJson(v, &e.data, &err) || !e.data.isObject()) {
        *error = "data is not a JSON object";
        return false;
      }
      have_data = true;
    }
  }
  if (e.type.empty()) {
    *error = "event has no type";
    return false;
  }
  if (!have_data) e.data = Json::Value(Json::objectValue);
  *out = std::move(e);
  return true;
}

Json::Value EventEnvelope(const Event& e) {
  Json::Value v(Json::objectValue);
  v["id"] = e.id;
  v["type"] = e.type;
  v["stream_id"] = e.stream_id ? JsonInt(*e.stream_id) : Json::Value(Json::nullValue);
  v["ts"] = e.ts;
  v["data"] = e.data;
  return v;
}

}  // namespace sattva::common
