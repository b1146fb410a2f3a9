#pragma once
// The bridge wire protocol: how a stream's audio reaches a voice-call connector over a local
// unix stream socket, and how the connector reports the call's participant count. Shared by
// BridgeSink (streamer/bridge.h), the sattva-bridge-client tool and the tests. The protocol is
// described for connector authors in docs/bridge-protocol.md.
//
// Every message is an 8-byte header, then the payload:
//   byte 0     type (BridgeMessageType)
//   byte 1     flags, 0
//   bytes 2-3  reserved, 0
//   bytes 4-7  payload length, u32 little-endian, at most kBridgeMaxPayloadBytes
// AUDIO's payload is a u64 little-endian frame sequence number, then one frame of PCM
// (kFrameBytes of s16le interleaved stereo). PING and PONG have an empty payload. Every other
// payload is one JSON object (UTF-8); unknown members are ignored by the decoders.
//
// Nothing here throws or blocks. Free functions are thread-safe; a BridgeParser is used by one
// thread at a time.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "streamer/audio.h"

namespace sattva::streamer {

inline constexpr int kBridgeProtocolVersion = 1;
inline constexpr size_t kBridgeHeaderBytes = 8;
inline constexpr size_t kBridgeMaxPayloadBytes = 64 * 1024;
inline constexpr size_t kBridgeAudioPayloadBytes = sizeof(uint64_t) + kFrameBytes;  // 3848
inline constexpr int64_t kBridgeMaxParticipants = 1000000;
inline constexpr const char* kBridgeAudioFormat = "s16le";

// The high bit tells the direction: 0x0_ connector → Sattva, 0x8_ Sattva → connector.
enum class BridgeMessageType : uint8_t {
  kHello = 0x01,
  kParticipants = 0x02,
  kPing = 0x03,
  kWelcome = 0x81,
  kAudio = 0x82,
  kTrack = 0x83,
  kEnd = 0x84,
  kError = 0x85,
  kPong = 0x86,
};

// "HELLO", "AUDIO", ...; "UNKNOWN" for a value outside the enum.
const char* BridgeMessageTypeName(BridgeMessageType type);
bool IsKnownBridgeMessageType(uint8_t type);
// True for the types a connector sends (HELLO, PARTICIPANTS, PING).
bool IsConnectorMessageType(BridgeMessageType type);

// One framed message: its type and raw payload bytes.
struct BridgeMessage {
  BridgeMessageType type = BridgeMessageType::kPing;
  std::string payload;
};

// Typed payloads. Encode* builds the message; Decode* checks the type and the payload and
// returns false with a reason in *error when they are malformed.
struct BridgeHello {
  int64_t protocol = kBridgeProtocolVersion;
  std::string client;  // "name/version"; optional on the wire
};
struct BridgeWelcome {
  int64_t protocol = kBridgeProtocolVersion;
  int64_t stream_id = 0;
  std::string slug;
  int64_t sample_rate = kSampleRate;
  int64_t channels = kChannels;
  int64_t frame_samples = kFrameSamples;
  std::string format = kBridgeAudioFormat;
};
struct BridgeTrack {
  int64_t track_id = 0;
  std::string item_id;
  std::string title;
  std::string artist;
  int64_t duration_ms = 0;
  bool placeholder = false;
  // The track's first sample is sample `offset` (0..959, per channel) of AUDIO frame
  // `frame_seq`.
  uint64_t frame_seq = 0;
  int64_t offset = 0;
};
struct BridgeEnd {
  std::string reason;  // manual, auto_end, error, replaced, shutdown
};
struct BridgeError {
  std::string code;  // hello_timeout, unsupported_protocol, bad_message, unexpected_message
  std::string message;
};
struct BridgeParticipants {
  int64_t count = 0;  // 0..kBridgeMaxParticipants
};

BridgeMessage EncodeBridgeHello(const BridgeHello& hello);
BridgeMessage EncodeBridgeWelcome(const BridgeWelcome& welcome);
BridgeMessage EncodeBridgeTrack(const BridgeTrack& track);
BridgeMessage EncodeBridgeEnd(const BridgeEnd& end);
BridgeMessage EncodeBridgeError(const BridgeError& error);
BridgeMessage EncodeBridgeParticipants(const BridgeParticipants& participants);
BridgeMessage EncodeBridgeAudio(uint64_t seq, const PcmFrame& frame);

// HELLO decodes with any integer protocol; the caller decides whether it supports it.
bool DecodeBridgeHello(const BridgeMessage& m, BridgeHello* out, std::string* error);
bool DecodeBridgeWelcome(const BridgeMessage& m, BridgeWelcome* out, std::string* error);
bool DecodeBridgeTrack(const BridgeMessage& m, BridgeTrack* out, std::string* error);
bool DecodeBridgeEnd(const BridgeMessage& m, BridgeEnd* out, std::string* error);
bool DecodeBridgeError(const BridgeMessage& m, BridgeError* out, std::string* error);
bool DecodeBridgeParticipants(const BridgeMessage& m, BridgeParticipants* out, std::string* error);
// *pcm points into m.payload: kFrameBytes of s16le interleaved stereo.
bool DecodeBridgeAudio(const BridgeMessage& m, uint64_t* seq, std::string_view* pcm,
                       std::string* error);

// Appends header + payload to *out.
void AppendBridgeMessage(BridgeMessageType type, std::string_view payload, std::string* out);
std::string SerializeBridgeMessage(const BridgeMessage& m);
// Appends a whole AUDIO message (header, seq, PCM) to *out without an intermediate copy.
void AppendBridgeAudio(uint64_t seq, const PcmFrame& frame, std::string* out);

// Incremental parser: feed bytes as they arrive, take messages out with Next. It checks the
// framing (known type, zero flags and reserved, length within bounds, AUDIO exactly
// kBridgeAudioPayloadBytes, PING/PONG empty) as soon as a header is complete, so a bad header
// is reported before its payload arrives. Errors are sticky. Not thread-safe.
class BridgeParser {
 public:
  enum class Status { kMessage, kNeedMore, kError };

  void Feed(const char* data, size_t n);
  void Feed(std::string_view bytes) { Feed(bytes.data(), bytes.size()); }
  // kMessage: *out holds the next message. kNeedMore: feed more bytes. kError: see error().
  Status Next(BridgeMessage* out);
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  // Bytes fed but not yet returned as messages.
  size_t buffered_bytes() const { return buf_.size() - pos_; }

 private:
  Status Fail(std::string error);

  std::string buf_;
  size_t pos_ = 0;
  bool failed_ = false;
  std::string error_;
};

// Owns one file descriptor; closes it on destruction. Move-only. Not thread-safe.
class BridgeFd {
 public:
  BridgeFd() = default;
  explicit BridgeFd(int fd) : fd_(fd) {}
  ~BridgeFd() { Reset(); }
  BridgeFd(BridgeFd&& other) noexcept : fd_(other.Release()) {}
  BridgeFd& operator=(BridgeFd&& other) noexcept;
  BridgeFd(const BridgeFd&) = delete;
  BridgeFd& operator=(const BridgeFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Connects a blocking, close-on-exec unix stream socket to `path`. On failure returns an
// invalid BridgeFd and sets *error_number to the errno (ENAMETOOLONG for a path that does not
// fit in sockaddr_un).
BridgeFd ConnectUnixSocket(const std::string& path, int* error_number);

// Sends all of `data` on a blocking socket with MSG_NOSIGNAL, retrying on EINTR. Returns false
// with *error_number set when the peer is gone or the send fails.
bool SendAll(int fd, std::string_view data, int* error_number);

}  // namespace sattva::streamer
