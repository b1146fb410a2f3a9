#pragma once
// A minimal blocking WebSocket client (RFC 6455) over plain POSIX sockets, for integration
// tests. It does the HTTP upgrade with a random Sec-WebSocket-Key and checks the accept hash,
// masks every frame it sends, answers pings with pongs, and reassembles fragmented and
// extended-length frames. No TLS, no extensions. Not thread-safe.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sattva::testing {

class WsClient {
 public:
  WsClient() = default;
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Names a Sec-WebSocket-Protocol for the next Connect (empty: none is sent).
  void set_protocol(const std::string& protocol) { protocol_ = protocol; }
  // Extra request headers for the next Connect ("Authorization", "Cookie", "Origin", ...).
  void set_headers(std::vector<std::pair<std::string, std::string>> headers) {
    headers_ = std::move(headers);
  }
  // Connects and upgrades. |path| may carry a query string ("/ws/stats?last_event_id=1-0").
  // Returns false and sets *error on failure; http_status() then holds the server's status
  // when it answered without upgrading.
  bool Connect(const std::string& host, int port, const std::string& path, std::string* error,
               int timeout_ms = 5000);
  // Sends one text message in one frame.
  bool SendText(const std::string& text);
  bool SendBinary(const std::string& data);
  // Sends one raw frame (for fragmentation tests): |opcode| 0 continuation, 1 text, 2 binary,
  // 8 close, 9 ping, 10 pong.
  bool SendFrame(int opcode, const std::string& payload, bool fin);
  // Waits up to |timeout_ms| for the next text message. Pings are answered and binary
  // messages skipped on the way. Returns false on timeout, on a close frame from the server
  // (see close_code()) or when the connection breaks.
  bool ReadText(std::string* out, int timeout_ms);
  // Sends a close frame (1000) if still open and closes the socket. Idempotent.
  void Close();

  bool connected() const { return fd_ >= 0; }
  // The status code and reason of the server's close frame; 0 and "" when none came.
  int close_code() const { return close_code_; }
  const std::string& close_reason() const { return close_reason_; }
  // True once the server closed the connection (close frame or EOF).
  bool peer_closed() const { return peer_closed_; }
  int pings_received() const { return pings_received_; }
  int http_status() const { return http_status_; }
  // The body of a refused upgrade ("" when it upgraded).
  const std::string& refusal_body() const { return refusal_body_; }
  // The response headers of the upgrade, raw (for checking Sec-WebSocket-Protocol).
  const std::string& handshake_response() const { return handshake_response_; }

 private:
  enum class ReadResult { kOk, kTimeout, kClosed };
  bool SendAll(const std::string& bytes);
  // Reads more bytes into rx_ until |deadline_ms| (monotonic ms).
  ReadResult Fill(int64_t deadline_ms);
  // Parses one frame from rx_ if complete.
  bool TakeFrame(bool* fin, int* opcode, std::string* payload, bool* error);

  int fd_ = -1;
  std::string protocol_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string rx_;
  int close_code_ = 0;
  std::string close_reason_;
  bool peer_closed_ = false;
  bool close_sent_ = false;
  int pings_received_ = 0;
  int http_status_ = 0;
  std::string refusal_body_;
  std::string handshake_response_;
};

}  // namespace sattva::testing
