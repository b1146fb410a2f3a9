#include "wsd/stream_entry.h"

#include "common/events.h"
#include "common/json.h"
#include "wsd/redact.h"
#include "wsd/stream_id.h"

namespace sattva::wsd {
namespace {

bool IsString(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

bool ParseEntry(const redisReply* r, StreamEntry* out, std::string* error) {
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
      !IsString(r->element[0])) {
    *error = "stream entry is not [id, fields]";
    return false;
  }
  StreamEntry e;
  e.id.assign(r->element[0]->str, r->element[0]->len);
  const redisReply* fields = r->element[1];
  // A deleted entry may come back with nil fields; keep it as an entry with no fields so the
  // caller can still advance past its id.
  if (fields != nullptr && fields->type == REDIS_REPLY_ARRAY) {
    if (fields->elements % 2 != 0) {
      *error = "stream entry " + e.id + " has an odd number of field items";
      return false;
    }
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
      const redisReply* k = fields->element[i];
      const redisReply* v = fields->element[i + 1];
      if (!IsString(k) || !IsString(v)) {
        *error = "stream entry " + e.id + " has a non-string field";
        return false;
      }
      e.fields.emplace_back(std::string(k->str, k->len), std::string(v->str, v->len));
    }
  } else if (fields != nullptr && fields->type != REDIS_REPLY_NIL) {
    *error = "stream entry " + e.id + " fields are not an array";
    return false;
  }
  *out = std::move(e);
  return true;
}

}  // namespace

bool ParseRangeReply(const redisReply* reply, std::vector<StreamEntry>* out, std::string* error) {
  out->clear();
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
    *error = "range reply is not an array";
    return false;
  }
  out->reserve(reply->elements);
  for (size_t i = 0; i < reply->elements; ++i) {
    StreamEntry e;
    if (!ParseEntry(reply->element[i], &e, error)) return false;
    out->push_back(std::move(e));
  }
  return true;
}

bool ParseXreadReply(const redisReply* reply, std::vector<StreamEntry>* out, std::string* error) {
  out->clear();
  if (reply != nullptr && reply->type == REDIS_REPLY_NIL) return true;
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
    *error = "XREAD reply is not an array";
    return false;
  }
  if (reply->elements == 0) return true;
  if (reply->elements != 1) {
    *error = "XREAD reply names more than one stream";
    return false;
  }
  const redisReply* stream = reply->element[0];
  if (stream == nullptr || stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) {
    *error = "XREAD stream item is not [key, entries]";
    return false;
  }
  return ParseRangeReply(stream->element[1], out, error);
}

bool ToWireEvent(const StreamEntry& entry, WireEventPtr* out, std::string* error) {
  std::optional<StreamId> id = StreamId::Parse(entry.id);
  if (!id) {
    *error = "entry id '" + entry.id + "' is not a stream id";
    return false;
  }
  common::Event event;
  if (!common::EventFromFields(entry.id, entry.fields, &event, error)) return false;
  auto wire = std::make_shared<WireEvent>();
  wire->id = *id;
  wire->type = event.type;
  Json::Value envelope = common::EventEnvelope(event);
  wire->json = std::make_shared<const std::string>(common::WriteJson(envelope));
  // The redacted variant, once per event here (live and resumed events both pass through).
  if (Redact(&envelope)) {
    wire->redacted = std::make_shared<const std::string>(common::WriteJson(envelope));
  }
  *out = std::move(wire);
  return true;
}

}  // namespace sattva::wsd
