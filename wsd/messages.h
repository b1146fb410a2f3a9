#pragma once
// The wsd wire protocol, without lws: parsing client commands and building server messages.
//
// Client -> server (text frames, one JSON object each):
//   {"type":"subscribe","types":["stats","queue_update"]}   [] or ["*"]: every type
//   {"type":"resume","last_event_id":"1767225600000-0"}
//   {"type":"ping"}
//   {"type":"snapshot"}                                      a fresh snapshot, then the events after it
// Server -> client:
//   {"type":"hello","server_time":ISO,"last_event_id":ID|null,"version":2,
//    "user":{"id":N,"name":"...","role":"admin"}}
//   {"type":"pong","server_time":ISO}
//   {"type":"resync_required"}
//   {"type":"error","data":{"code":"bad_message","message":...}}
//   and the event envelopes of common::EventEnvelope.
// All functions are thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "wsd/stream_id.h"

namespace sattva::wsd {

// A client message larger than this closes the connection (1009).
inline constexpr size_t kMaxClientMessageBytes = 64 * 1024;
// Most event types one subscribe may name, and the longest name.
inline constexpr size_t kMaxSubscribeTypes = 64;
inline constexpr size_t kMaxEventTypeLength = 64;
inline constexpr int kProtocolVersion = 2;

enum class ClientCommandType { kSubscribe, kResume, kPing, kSnapshot };

struct ClientCommand {
  ClientCommandType type = ClientCommandType::kPing;
  // kSubscribe: the types asked for, as sent ("*" included); empty means every type.
  std::vector<std::string> types;
  // kResume: the last event id the client has.
  StreamId last_event_id;
};

// Parses one client text message. Returns false and sets *error to a message fit to send back
// (in an error envelope) when it is not valid UTF-8, not one JSON object, too large, of an unknown
// type, or has fields of the wrong type.
bool ParseClientCommand(const std::string& text, ClientCommand* out, std::string* error);

// Who the connection belongs to, in hello (never an email).
struct HelloUser {
  int64_t id = 0;
  std::string name;
  std::string role;  // "admin" | "moderator" | "user"
};
// |user| null: no "user" member.
std::string BuildHello(common::Clock::WallTime now, const std::optional<StreamId>& last_event_id,
                       const HelloUser* user = nullptr);
std::string BuildPong(common::Clock::WallTime now);
std::string BuildResyncRequired();
std::string BuildError(const std::string& code, const std::string& message);

}  // namespace sattva::wsd
