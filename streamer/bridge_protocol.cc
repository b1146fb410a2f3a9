#include "streamer/bridge_protocol.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <json/json.h>

#include "common/json.h"

namespace sattva::streamer {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "PcmFrame samples are copied to the wire as is: s16le needs a little-endian host");
static_assert(sizeof(PcmFrame) == kFrameBytes, "PcmFrame must be exactly one frame of PCM");
static_assert(kBridgeAudioPayloadBytes <= kBridgeMaxPayloadBytes);

void PutU32(uint32_t v, char* p) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

void PutU64(uint64_t v, char* p) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void AppendHeader(BridgeMessageType type, uint32_t length, std::string* out) {
  char h[kBridgeHeaderBytes] = {};
  h[0] = static_cast<char>(type);
  PutU32(length, h + 4);
  out->append(h, sizeof(h));
}

BridgeMessage JsonMessage(BridgeMessageType type, const Json::Value& v) {
  BridgeMessage m;
  m.type = type;
  m.payload = common::WriteJson(v);
  return m;
}

// Checks the type and parses the payload as one JSON object.
bool ParseObject(const BridgeMessage& m, BridgeMessageType want, Json::Value* v,
                 std::string* error) {
  if (m.type != want) {
    *error = std::string("expected ") + BridgeMessageTypeName(want) + ", got " +
             BridgeMessageTypeName(m.type);
    return false;
  }
  std::string why;
  if (!common::ParseJson(m.payload, v, &why)) {
    *error = std::string(BridgeMessageTypeName(want)) + " payload is not JSON: " + why;
    return false;
  }
  if (!v->isObject()) {
    *error = std::string(BridgeMessageTypeName(want)) + " payload is not a JSON object";
    return false;
  }
  return true;
}

bool IsInteger(const Json::Value& v) {
  return v.type() == Json::intValue || v.type() == Json::uintValue;
}

// Reads an integer member. A missing member is an error when `required`, else leaves *out.
bool GetInt(const Json::Value& obj, const char* key, bool required, int64_t* out,
            std::string* error) {
  if (!obj.isMember(key)) {
    if (!required) return true;
    *error = std::string("\"") + key + "\" is missing";
    return false;
  }
  const Json::Value& v = obj[key];
  if (!IsInteger(v) || !v.isInt64()) {
    *error = std::string("\"") + key + "\" is not an integer";
    return false;
  }
  *out = v.asInt64();
  return true;
}

bool GetUint(const Json::Value& obj, const char* key, uint64_t* out, std::string* error) {
  if (!obj.isMember(key)) {
    *error = std::string("\"") + key + "\" is missing";
    return false;
  }
  const Json::Value& v = obj[key];
  if (!IsInteger(v) || !v.isUInt64()) {
    *error = std::string("\"") + key + "\" is not a non-negative integer";
    return false;
  }
  *out = v.asUInt64();
  return true;
}

bool GetString(const Json::Value& obj, const char* key, bool required, std::string* out,
               std::string* error) {
  if (!obj.isMember(key)) {
    if (!required) return true;
    *error = std::string("\"") + key + "\" is missing";
    return false;
  }
  const Json::Value& v = obj[key];
  if (!v.isString()) {
    *error = std::string("\"") + key + "\" is not a string";
    return false;
  }
  *out = v.asString();
  return true;
}

bool GetBool(const Json::Value& obj, const char* key, bool* out, std::string* error) {
  if (!obj.isMember(key)) return true;
  const Json::Value& v = obj[key];
  if (!v.isBool()) {
    *error = std::string("\"") + key + "\" is not a boolean";
    return false;
  }
  *out = v.asBool();
  return true;
}

}  // namespace

const char* BridgeMessageTypeName(BridgeMessageType type) {
  switch (type) {
    case BridgeMessageType::kHello:
      return "HELLO";
    case BridgeMessageType::kParticipants:
      return "PARTICIPANTS";
    case BridgeMessageType::kPing:
      return "PING";
    case BridgeMessageType::kWelcome:
      return "WELCOME";
    case BridgeMessageType::kAudio:
      return "AUDIO";
    case BridgeMessageType::kTrack:
      return "TRACK";
    case BridgeMessageType::kEnd:
      return "END";
    case BridgeMessageType::kError:
      return "ERROR";
    case BridgeMessageType::kPong:
      return "PONG";
  }
  return "UNKNOWN";
}

bool IsKnownBridgeMessageType(uint8_t type) {
  return std::string_view(BridgeMessageTypeName(static_cast<BridgeMessageType>(type))) != "UNKNOWN";
}

bool IsConnectorMessageType(BridgeMessageType type) {
  return type == BridgeMessageType::kHello || type == BridgeMessageType::kParticipants ||
         type == BridgeMessageType::kPing;
}

BridgeMessage EncodeBridgeHello(const BridgeHello& hello) {
  Json::Value v(Json::objectValue);
  v["protocol"] = common::JsonInt(hello.protocol);
  v["client"] = hello.client;
  return JsonMessage(BridgeMessageType::kHello, v);
}

BridgeMessage EncodeBridgeWelcome(const BridgeWelcome& w) {
  Json::Value v(Json::objectValue);
  v["protocol"] = common::JsonInt(w.protocol);
  v["stream_id"] = common::JsonInt(w.stream_id);
  v["slug"] = w.slug;
  v["sample_rate"] = common::JsonInt(w.sample_rate);
  v["channels"] = common::JsonInt(w.channels);
  v["frame_samples"] = common::JsonInt(w.frame_samples);
  v["format"] = w.format;
  return JsonMessage(BridgeMessageType::kWelcome, v);
}

BridgeMessage EncodeBridgeTrack(const BridgeTrack& t) {
  Json::Value v(Json::objectValue);
  v["track_id"] = common::JsonInt(t.track_id);
  v["item_id"] = t.item_id;
  v["title"] = t.title;
  v["artist"] = t.artist;
  v["duration_ms"] = common::JsonInt(t.duration_ms);
  v["placeholder"] = t.placeholder;
  v["frame_seq"] = Json::Value(static_cast<Json::UInt64>(t.frame_seq));
  v["offset"] = common::JsonInt(t.offset);
  return JsonMessage(BridgeMessageType::kTrack, v);
}

BridgeMessage EncodeBridgeEnd(const BridgeEnd& end) {
  Json::Value v(Json::objectValue);
  v["reason"] = end.reason;
  return JsonMessage(BridgeMessageType::kEnd, v);
}

BridgeMessage EncodeBridgeError(const BridgeError& error) {
  Json::Value v(Json::objectValue);
  v["code"] = error.code;
  v["message"] = error.message;
  return JsonMessage(BridgeMessageType::kError, v);
}

BridgeMessage EncodeBridgeParticipants(const BridgeParticipants& p) {
  Json::Value v(Json::objectValue);
  v["count"] = common::JsonInt(p.count);
  return JsonMessage(BridgeMessageType::kParticipants, v);
}

BridgeMessage EncodeBridgeAudio(uint64_t seq, const PcmFrame& frame) {
  BridgeMessage m;
  m.type = BridgeMessageType::kAudio;
  m.payload.resize(kBridgeAudioPayloadBytes);
  PutU64(seq, m.payload.data());
  std::memcpy(m.payload.data() + sizeof(uint64_t), frame.samples.data(), kFrameBytes);
  return m;
}

bool DecodeBridgeHello(const BridgeMessage& m, BridgeHello* out, std::string* error) {
  Json::Value v;
  if (!ParseObject(m, BridgeMessageType::kHello, &v, error)) return false;
  BridgeHello h;
  if (!GetInt(v, "protocol", true, &h.protocol, error)) return false;
  if (!GetString(v, "client", false, &h.client, error)) return false;
  *out = std::move(h);
  return true;
}

bool DecodeBridgeWelcome(const BridgeMessage& m, BridgeWelcome* out, std::string* error) {
  Json::Value v;
  if (!ParseObject(m, BridgeMessageType::kWelcome, &v, error)) return false;
  BridgeWelcome w;
  if (!GetInt(v, "protocol", true, &w.protocol, error) ||
      !GetInt(v, "stream_id", true, &w.stream_id, error) ||
      !GetString(v, "slug", true, &w.slug, error) ||
      !GetInt(v, "sample_rate", true, &w.sample_rate, error) ||
      !GetInt(v, "channels", true, &w.channels, error) ||
      !GetInt(v, "frame_samples", true, &w.frame_samples, error) ||
      !GetString(v, "format", true, &w.format, error)) {
    return false;
  }
  *out = std::move(w);
  return true;
}

bool DecodeBridgeTrack(const BridgeMessage& m, BridgeTrack* out, std::string* error) {
  Json::Value v;
  if (!ParseObject(m, BridgeMessageType::kTrack, &v, error)) return false;
  BridgeTrack t;
  if (!GetInt(v, "track_id", true, &t.track_id, error) ||
      !GetString(v, "item_id", false, &t.item_id, error) ||
      !GetString(v, "title", false, &t.title, error) ||
      !GetString(v, "artist", false, &t.artist, error) ||
      !GetInt(v, "duration_ms", false, &t.duration_ms, error) ||
      !GetBool(v, "placeholder", &t.placeholder, error) ||
      !GetUint(v, "frame_seq", &t.frame_seq, error) ||
      !GetInt(v, "offset", true, &t.offset, error)) {
    return false;
  }
  if (t.offset < 0 || t.offset >= kFrameSamples) {
    *error = "\"offset\" is outside 0.." + std::to_string(kFrameSamples - 1);
    return false;
  }
  *out = std::move(t);
  return true;
}

bool DecodeBridgeEnd(const BridgeMessage& m, BridgeEnd* out, std::string* error) {
  Json::Value v;
  if (!ParseObject(m, BridgeMessageType::kEnd, &v, error)) return false;
  BridgeEnd e;
  if (!GetString(v, "reason", true, &e.reason, error)) return false;
  *out = std::move(e);
  return true;
}

bool DecodeBridgeError(const BridgeMessage& m, BridgeError* out, std::string* error) {
  Json::Value v;
  if (!ParseObject(m, BridgeMessageType::kError, &v, error)) return false;
  BridgeError e;
  if (!GetString(v, "code", true, &e.code, error) ||
      !GetString(v, "message", false, &e.message, error)) {
    return false;
  }
  *out = std::move(e);
  return true;
}

bool DecodeBridgeParticipants(const BridgeMessage& m, BridgeParticipants* out, std::string* error) {
  Json::Value v;
  if (!ParseObject(m, BridgeMessageType::kParticipants, &v, error)) return false;
  BridgeParticipants p;
  if (!GetInt(v, "count", true, &p.count, error)) return false;
  if (p.count < 0 || p.count > kBridgeMaxParticipants) {
    *error = "\"count\" is outside 0.." + std::to_string(kBridgeMaxParticipants);
    return false;
  }
  *out = p;
  return true;
}

bool DecodeBridgeAudio(const BridgeMessage& m, uint64_t* seq, std::string_view* pcm,
                       std::string* error) {
  if (m.type != BridgeMessageType::kAudio) {
    *error = std::string("expected AUDIO, got ") + BridgeMessageTypeName(m.type);
    return false;
  }
  if (m.payload.size() != kBridgeAudioPayloadBytes) {
    *error = "AUDIO payload is " + std::to_string(m.payload.size()) + " bytes, not " +
             std::to_string(kBridgeAudioPayloadBytes);
    return false;
  }
  *seq = GetU64(m.payload.data());
  *pcm = std::string_view(m.payload).substr(sizeof(uint64_t));
  return true;
}

void AppendBridgeMessage(BridgeMessageType type, std::string_view payload, std::string* out) {
  AppendHeader(type, static_cast<uint32_t>(payload.size()), out);
  out->append(payload.data(), payload.size());
}

std::string SerializeBridgeMessage(const BridgeMessage& m) {
  std::string out;
  out.reserve(kBridgeHeaderBytes + m.payload.size());
  AppendBridgeMessage(m.type, m.payload, &out);
  return out;
}

void AppendBridgeAudio(uint64_t seq, const PcmFrame& frame, std::string* out) {
  AppendHeader(BridgeMessageType::kAudio, kBridgeAudioPayloadBytes, out);
  char s[sizeof(uint64_t)];
  PutU64(seq, s);
  out->append(s, sizeof(s));
  out->append(reinterpret_cast<const char*>(frame.samples.data()), kFrameBytes);
}

void BridgeParser::Feed(const char* data, size_t n) {
  if (failed_ || n == 0) return;
  // Drop consumed bytes before growing, so the buffer stays about one message long.
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ >= 4096)) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(data, n);
}

BridgeParser::Status BridgeParser::Fail(std::string error) {
  failed_ = true;
  error_ = std::move(error);
  buf_.clear();
  pos_ = 0;
  return Status::kError;
}

BridgeParser::Status BridgeParser::Next(BridgeMessage* out) {
  if (failed_) return Status::kError;
  const size_t available = buf_.size() - pos_;
  if (available < kBridgeHeaderBytes) return Status::kNeedMore;
  const char* h = buf_.data() + pos_;
  const uint8_t raw_type = static_cast<uint8_t>(h[0]);
  if (!IsKnownBridgeMessageType(raw_type)) {
    return Fail("unknown message type " + std::to_string(raw_type));
  }
  const auto type = static_cast<BridgeMessageType>(raw_type);
  if (h[1] != 0) return Fail(std::string(BridgeMessageTypeName(type)) + " has non-zero flags");
  if (h[2] != 0 || h[3] != 0) {
    return Fail(std::string(BridgeMessageTypeName(type)) + " has non-zero reserved bytes");
  }
  const uint32_t length = GetU32(h + 4);
  if (length > kBridgeMaxPayloadBytes) {
    return Fail(std::string(BridgeMessageTypeName(type)) + " payload of " + std::to_string(length) +
                " bytes exceeds " + std::to_string(kBridgeMaxPayloadBytes));
  }
  if (type == BridgeMessageType::kAudio && length != kBridgeAudioPayloadBytes) {
    return Fail("AUDIO payload of " + std::to_string(length) + " bytes, expected " +
                std::to_string(kBridgeAudioPayloadBytes));
  }
  if ((type == BridgeMessageType::kPing || type == BridgeMessageType::kPong) && length != 0) {
    return Fail(std::string(BridgeMessageTypeName(type)) + " must have an empty payload");
  }
  if (available < kBridgeHeaderBytes + length) return Status::kNeedMore;
  out->type = type;
  out->payload.assign(h + kBridgeHeaderBytes, length);
  pos_ += kBridgeHeaderBytes + length;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  return Status::kMessage;
}

BridgeFd& BridgeFd::operator=(BridgeFd&& other) noexcept {
  if (this != &other) Reset(other.Release());
  return *this;
}

int BridgeFd::Release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void BridgeFd::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

BridgeFd ConnectUnixSocket(const std::string& path, int* error_number) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    *error_number = ENAMETOOLONG;
    return BridgeFd();
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  BridgeFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    *error_number = errno;
    return BridgeFd();
  }
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EISCONN) {  // EISCONN: an interrupted connect completed
    *error_number = errno;
    return BridgeFd();
  }
  *error_number = 0;
  return fd;
}

bool SendAll(int fd, std::string_view data, int* error_number) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error_number = errno;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  *error_number = 0;
  return true;
}

}  // namespace sattva::streamer
