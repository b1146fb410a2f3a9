#include "tests/support/ws_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>

namespace sattva::testing {
namespace {

constexpr size_t kMaxFrameBytes = 64 * 1024 * 1024;
constexpr const char* kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

uint32_t Rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

// SHA-1 (FIPS 180-4), only for the handshake's accept hash.
std::string Sha1(const std::string& input) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string msg = input;
  const uint64_t bit_len = static_cast<uint64_t>(input.size()) * 8;
  msg.push_back(static_cast<char>(0x80));
  while (msg.size() % 64 != 56) msg.push_back('\0');
  for (int i = 7; i >= 0; --i) msg.push_back(static_cast<char>((bit_len >> (i * 8)) & 0xff));
  for (size_t off = 0; off < msg.size(); off += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(msg.data() + off + i * 4);
      w[i] = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    }
    for (int i = 16; i < 80; ++i) w[i] = Rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      uint32_t f, k;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6;
      }
      uint32_t t = Rotl(a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = Rotl(b, 30);
      b = a;
      a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
  std::string out;
  for (uint32_t v : h) {
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (i * 8)) & 0xff));
  }
  return out;
}

std::string Base64(const std::string& in) {
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint32_t{static_cast<unsigned char>(in[i])} << 16) |
                 (uint32_t{static_cast<unsigned char>(in[i + 1])} << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kChars[(v >> s) & 63]);
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint32_t{static_cast<unsigned char>(in[i])} << 16;
    out.push_back(kChars[(v >> 18) & 63]);
    out.push_back(kChars[(v >> 12) & 63]);
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint32_t{static_cast<unsigned char>(in[i])} << 16) |
                 (uint32_t{static_cast<unsigned char>(in[i + 1])} << 8);
    out.push_back(kChars[(v >> 18) & 63]);
    out.push_back(kChars[(v >> 12) & 63]);
    out.push_back(kChars[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

std::mt19937& Rng() {
  static thread_local std::mt19937 rng(std::random_device{}());
  return rng;
}

std::string RandomBytes(size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(Rng()() & 0xff);
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The value of header |name| (lower case) in a raw response, trimmed; "" when absent.
std::string HeaderValue(const std::string& response, const std::string& name) {
  size_t pos = 0;
  while (true) {
    size_t eol = response.find("\r\n", pos);
    if (eol == std::string::npos || eol == pos) return "";
    std::string line = response.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos && Lower(line.substr(0, colon)) == name) {
      std::string v = line.substr(colon + 1);
      size_t b = v.find_first_not_of(" \t");
      size_t e = v.find_last_not_of(" \t");
      return b == std::string::npos ? "" : v.substr(b, e - b + 1);
    }
    pos = eol + 2;
  }
}

int ConnectTcp(const std::string& host, int port, int timeout_ms, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) {
    *error = "cannot resolve " + host + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  std::string last = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, timeout_ms) == 1 ? 0 : -1;
      int soerr = 0;
      socklen_t len = sizeof soerr;
      if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr != 0) {
        errno = soerr;
        rc = -1;
      } else if (rc != 0) {
        errno = ETIMEDOUT;
      }
    }
    if (rc == 0) {
      fcntl(fd, F_SETFL, flags);
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      break;
    }
    last = std::strerror(errno);
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) *error = "cannot connect to " + host + ":" + std::to_string(port) + ": " + last;
  return fd;
}

}  // namespace

WsClient::~WsClient() { Close(); }

bool WsClient::Connect(const std::string& host, int port, const std::string& path,
                       std::string* error, int timeout_ms) {
  Close();
  rx_.clear();
  close_code_ = 0;
  close_reason_.clear();
  peer_closed_ = false;
  close_sent_ = false;
  pings_received_ = 0;
  http_status_ = 0;
  refusal_body_.clear();
  handshake_response_.clear();

  fd_ = ConnectTcp(host, port, timeout_ms, error);
  if (fd_ < 0) return false;

  const std::string key = Base64(RandomBytes(16));
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                    "\r\nSec-WebSocket-Version: 13\r\n";
  if (!protocol_.empty()) req += "Sec-WebSocket-Protocol: " + protocol_ + "\r\n";
  for (const auto& [name, value] : headers_) req += name + ": " + value + "\r\n";
  req += "\r\n";
  if (!SendAll(req)) {
    *error = "cannot send the upgrade request";
    Close();
    return false;
  }

  const int64_t deadline = NowMs() + timeout_ms;
  size_t end;
  while ((end = rx_.find("\r\n\r\n")) == std::string::npos) {
    if (rx_.size() > 64 * 1024) {
      *error = "upgrade response headers too large";
      Close();
      return false;
    }
    ReadResult r = Fill(deadline);
    if (r != ReadResult::kOk) {
      *error = r == ReadResult::kTimeout ? "timed out waiting for the upgrade response"
                                         : "connection closed during the upgrade";
      if (!rx_.empty()) *error += ": " + rx_.substr(0, 200);
      Close();
      return false;
    }
  }
  handshake_response_ = rx_.substr(0, end + 4);
  rx_.erase(0, end + 4);

  // "HTTP/1.1 101 Switching Protocols"
  size_t sp = handshake_response_.find(' ');
  if (sp != std::string::npos) http_status_ = std::atoi(handshake_response_.c_str() + sp + 1);
  if (http_status_ != 101) {
    // Keep the refusal's body (a JSON error), as much as Content-Length says.
    const size_t want =
        static_cast<size_t>(std::atol(HeaderValue(handshake_response_, "content-length").c_str()));
    while (rx_.size() < want && Fill(deadline) == ReadResult::kOk) {
    }
    refusal_body_ = rx_.substr(0, want);
    *error = "upgrade refused with HTTP " + std::to_string(http_status_) + ": " + refusal_body_;
    Close();
    return false;
  }
  const std::string expected = Base64(Sha1(key + kWebSocketGuid));
  if (HeaderValue(handshake_response_, "sec-websocket-accept") != expected) {
    *error = "bad Sec-WebSocket-Accept";
    Close();
    return false;
  }
  if (Lower(HeaderValue(handshake_response_, "upgrade")) != "websocket") {
    *error = "response lacks Upgrade: websocket";
    Close();
    return false;
  }
  return true;
}

bool WsClient::SendAll(const std::string& bytes) {
  if (fd_ < 0) return false;
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool WsClient::SendFrame(int opcode, const std::string& payload, bool fin) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | (opcode & 0x0f)));
  const uint64_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xffff) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>((n >> 8) & 0xff));
    f.push_back(static_cast<char>(n & 0xff));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((n >> (i * 8)) & 0xff));
  }
  const std::string mask = RandomBytes(4);
  f += mask;
  const size_t start = f.size();
  f += payload;
  for (size_t i = 0; i < payload.size(); ++i) f[start + i] ^= mask[i % 4];
  return SendAll(f);
}

bool WsClient::SendText(const std::string& text) { return SendFrame(1, text, true); }

bool WsClient::SendBinary(const std::string& data) { return SendFrame(2, data, true); }

WsClient::ReadResult WsClient::Fill(int64_t deadline_ms) {
  if (fd_ < 0) return ReadResult::kClosed;
  while (true) {
    int64_t left = deadline_ms - NowMs();
    if (left < 0) left = 0;
    pollfd p{fd_, POLLIN, 0};
    int rc = poll(&p, 1, static_cast<int>(left));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return ReadResult::kClosed;
    if (rc == 0) return ReadResult::kTimeout;
    char buf[16384];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      peer_closed_ = true;
      return ReadResult::kClosed;
    }
    rx_.append(buf, static_cast<size_t>(n));
    return ReadResult::kOk;
  }
}

bool WsClient::TakeFrame(bool* fin, int* opcode, std::string* payload, bool* error) {
  *error = false;
  if (rx_.size() < 2) return false;
  const auto* b = reinterpret_cast<const unsigned char*>(rx_.data());
  *fin = (b[0] & 0x80) != 0;
  *opcode = b[0] & 0x0f;
  const bool masked = (b[1] & 0x80) != 0;
  uint64_t len = b[1] & 0x7f;
  size_t pos = 2;
  if (len == 126) {
    if (rx_.size() < 4) return false;
    len = (uint64_t{b[2]} << 8) | b[3];
    pos = 4;
  } else if (len == 127) {
    if (rx_.size() < 10) return false;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | b[2 + i];
    pos = 10;
  }
  if (len > kMaxFrameBytes) {
    *error = true;
    return false;
  }
  std::string mask;
  if (masked) {
    if (rx_.size() < pos + 4) return false;
    mask = rx_.substr(pos, 4);
    pos += 4;
  }
  if (rx_.size() < pos + len) return false;
  *payload = rx_.substr(pos, static_cast<size_t>(len));
  if (masked) {
    for (size_t i = 0; i < payload->size(); ++i) (*payload)[i] ^= mask[i % 4];
  }
  rx_.erase(0, pos + static_cast<size_t>(len));
  return true;
}

bool WsClient::ReadText(std::string* out, int timeout_ms) {
  const int64_t deadline = NowMs() + timeout_ms;
  std::string message;
  int message_opcode = -1;  // opcode of the data message being reassembled
  while (fd_ >= 0) {
    bool fin = false, error = false;
    int opcode = 0;
    std::string payload;
    if (!TakeFrame(&fin, &opcode, &payload, &error)) {
      if (error) {
        Close();
        return false;
      }
      ReadResult r = Fill(deadline);
      if (r == ReadResult::kTimeout) return false;
      if (r == ReadResult::kClosed) {
        Close();
        return false;
      }
      continue;
    }
    switch (opcode) {
      case 9:  // ping
        ++pings_received_;
        SendFrame(10, payload, true);
        break;
      case 10:  // pong
        break;
      case 8:  // close
        peer_closed_ = true;
        if (payload.size() >= 2) {
          close_code_ = (static_cast<unsigned char>(payload[0]) << 8) |
                        static_cast<unsigned char>(payload[1]);
          close_reason_ = payload.substr(2);
        }
        if (!close_sent_) {
          close_sent_ = true;
          SendFrame(8, payload.substr(0, 2), true);
        }
        Close();
        return false;
      case 0:  // continuation
      case 1:  // text
      case 2:  // binary
        if (opcode != 0) {
          message_opcode = opcode;
          message.clear();
        }
        message += payload;
        if (fin) {
          if (message_opcode == 1) {
            *out = std::move(message);
            return true;
          }
          message.clear();  // binary: skipped
        }
        break;
      default:
        break;
    }
  }
  return false;
}

void WsClient::Close() {
  if (fd_ < 0) return;
  if (!close_sent_ && !peer_closed_) {
    close_sent_ = true;
    SendFrame(8, std::string("\x03\xe8", 2), true);
  }
  close(fd_);
  fd_ = -1;
}

}  // namespace sattva::testing
