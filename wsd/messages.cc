#include "wsd/messages.h"

#include "common/json.h"

namespace sattva::wsd {
namespace {

bool IsTypeName(const std::string& s) {
  if (s == "*") return true;
  if (s.empty() || s.size() > kMaxEventTypeLength) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool ParseSubscribe(const Json::Value& v, ClientCommand* out, std::string* error) {
  if (!v.isMember("types")) {
    *error = "subscribe needs \"types\": an array of event type names";
    return false;
  }
  const Json::Value& types = v["types"];
  if (!types.isArray()) {
    *error = "\"types\" must be an array of strings";
    return false;
  }
  if (types.size() > kMaxSubscribeTypes) {
    *error = "\"types\" may name at most " + std::to_string(kMaxSubscribeTypes) + " types";
    return false;
  }
  std::vector<std::string> names;
  for (const Json::Value& t : types) {
    if (!t.isString()) {
      *error = "\"types\" must be an array of strings";
      return false;
    }
    std::string name = t.asString();
    if (!IsTypeName(name)) {
      *error = "\"types\" entries must be \"*\" or names of [a-z0-9_], 1 to " +
               std::to_string(kMaxEventTypeLength) + " characters";
      return false;
    }
    names.push_back(std::move(name));
  }
  out->type = ClientCommandType::kSubscribe;
  out->types = std::move(names);
  return true;
}

bool ParseResume(const Json::Value& v, ClientCommand* out, std::string* error) {
  const Json::Value& id = v["last_event_id"];
  if (!id.isString()) {
    *error = "resume needs \"last_event_id\": a string event id";
    return false;
  }
  std::optional<StreamId> parsed = StreamId::Parse(id.asString());
  if (!parsed) {
    *error = "\"last_event_id\" is not an event id (expected <ms>-<seq>)";
    return false;
  }
  out->type = ClientCommandType::kResume;
  out->last_event_id = *parsed;
  return true;
}

std::string ServerTime(common::Clock::WallTime now) { return common::IsoUtcMillis(now); }

}  // namespace

bool ParseClientCommand(const std::string& text, ClientCommand* out, std::string* error) {
  if (text.size() > kMaxClientMessageBytes) {
    *error = "message larger than " + std::to_string(kMaxClientMessageBytes) + " bytes";
    return false;
  }
  Json::Value v;
  std::string parse_error;
  if (!common::ParseJson(text, &v, &parse_error)) {
    *error = parse_error;
    return false;
  }
  if (!v.isObject()) {
    *error = "message must be a JSON object";
    return false;
  }
  const Json::Value& type = v["type"];
  if (!type.isString()) {
    *error = "message needs \"type\": a string";
    return false;
  }
  const std::string t = type.asString();
  ClientCommand cmd;
  if (t == "subscribe") {
    if (!ParseSubscribe(v, &cmd, error)) return false;
  } else if (t == "resume") {
    if (!ParseResume(v, &cmd, error)) return false;
  } else if (t == "ping") {
    cmd.type = ClientCommandType::kPing;
  } else if (t == "snapshot") {
    cmd.type = ClientCommandType::kSnapshot;
  } else {
    *error = "unknown message type (expected subscribe, resume, ping or snapshot)";
    return false;
  }
  *out = std::move(cmd);
  return true;
}

std::string BuildHello(common::Clock::WallTime now, const std::optional<StreamId>& last_event_id,
                       const HelloUser* user) {
  Json::Value v(Json::objectValue);
  v["type"] = "hello";
  v["server_time"] = ServerTime(now);
  v["last_event_id"] =
      last_event_id ? Json::Value(last_event_id->ToString()) : Json::Value(Json::nullValue);
  v["version"] = kProtocolVersion;
  if (user != nullptr) {
    v["user"]["id"] = common::JsonInt(user->id);
    v["user"]["name"] = user->name;
    v["user"]["role"] = user->role;
  }
  return common::WriteJson(v);
}

std::string BuildPong(common::Clock::WallTime now) {
  Json::Value v(Json::objectValue);
  v["type"] = "pong";
  v["server_time"] = ServerTime(now);
  return common::WriteJson(v);
}

std::string BuildResyncRequired() {
  Json::Value v(Json::objectValue);
  v["type"] = "resync_required";
  return common::WriteJson(v);
}

std::string BuildError(const std::string& code, const std::string& message) {
  Json::Value v(Json::objectValue);
  v["type"] = "error";
  v["data"]["code"] = code;
  v["data"]["message"] = message;
  return common::WriteJson(v);
}

}  // namespace sattva::wsd
