// The streamer's HTTP server over real sockets on 127.0.0.1: routing and every error status,
// live fan-out (header, burst, identical chunks in order), slow listeners, listener counts,
// end-of-stream, limits, /healthz and /metrics, and both real encoders end to end.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include <json/json.h>

#include "common/json.h"
#include "streamer/audio.h"
#include "streamer/encoder.h"
#include "streamer/http_server.h"
#include "streamer/live_mount.h"

namespace sattva::streamer {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr double kPi = 3.14159265358979323846;

class Socket {
 public:
  explicit Socket(int fd = -1) : fd_(fd) {}
  Socket(Socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Socket& operator=(Socket&& o) noexcept {
    if (this != &o) {
      Close();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { Close(); }
  int fd() const { return fd_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// A blocking client socket connected to 127.0.0.1:port. `rcvbuf` > 0 shrinks its receive buffer.
Socket Connect(int port, int rcvbuf = 0) {
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (rcvbuf > 0) ::setsockopt(s.fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(s.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return s;
}

void SendAll(const Socket& s, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(s.fd(), data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close early (oversized requests)
    off += static_cast<size_t>(n);
  }
}

enum class ReadEnd { kClosed, kTimeout, kEnough };

// Appends to *buf until `done(*buf)`, the peer closes (or resets), or `timeout_ms` passes.
ReadEnd ReadUntil(const Socket& s, std::string* buf, int timeout_ms,
                  const std::function<bool(const std::string&)>& done) {
  const auto deadline = steady_clock::now() + milliseconds(timeout_ms);
  char tmp[65536];
  while (!done(*buf)) {
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now()).count();
    if (left <= 0) return ReadEnd::kTimeout;
    pollfd p{s.fd(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    const ssize_t n = ::recv(s.fd(), tmp, sizeof tmp, 0);
    if (n <= 0) return ReadEnd::kClosed;
    buf->append(tmp, static_cast<size_t>(n));
  }
  return ReadEnd::kEnough;
}

ReadEnd ReadAtLeast(const Socket& s, std::string* buf, size_t n, int timeout_ms = 3000) {
  return ReadUntil(s, buf, timeout_ms, [n](const std::string& b) { return b.size() >= n; });
}

ReadEnd ReadToClose(const Socket& s, std::string* buf, int timeout_ms = 3000) {
  return ReadUntil(s, buf, timeout_ms, [](const std::string&) { return false; });
}

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string head;
  std::string body;
};

// Splits a raw HTTP response; status 0 when there is no complete head.
Response Parse(const std::string& raw) {
  Response r;
  const size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos || raw.compare(0, 9, "HTTP/1.1 ") != 0) return r;
  r.head = raw.substr(0, end + 4);
  r.body = raw.substr(end + 4);
  r.status = std::atoi(raw.substr(9, 3).c_str());
  size_t pos = raw.find("\r\n") + 2;
  while (pos < end) {
    const size_t eol = raw.find("\r\n", pos);
    const std::string line = raw.substr(pos, eol - pos);
    const size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    size_t v = colon + 1;
    while (v < line.size() && line[v] == ' ') ++v;
    r.headers[name] = line.substr(v);
    pos = eol + 2;
  }
  return r;
}

// Sends `request` on a new connection and reads the answer to the server's close.
Response Exchange(int port, const std::string& request, ReadEnd* how = nullptr) {
  Socket s = Connect(port);
  SendAll(s, request);
  std::string raw;
  const ReadEnd end = ReadToClose(s, &raw);
  if (how != nullptr) *how = end;
  return Parse(raw);
}

std::string ErrorCode(const Response& r) {
  Json::Value v;
  std::string error;
  if (!common::ParseJson(r.body, &v, &error)) return "unparsable: " + error;
  return v["error"]["code"].asString();
}

bool WaitFor(const std::function<bool()>& pred, int timeout_ms = 3000) {
  const auto deadline = steady_clock::now() + milliseconds(timeout_ms);
  while (steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return pred();
}

std::string Get(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
}

// Chunk i: distinct bytes, `size` long.
std::string Chunk(int i, size_t size = 64) {
  std::string c = "<" + std::to_string(i) + ">";
  c.resize(std::max(size, c.size()), static_cast<char>('a' + i % 26));
  return c;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sink_ = std::make_shared<LiveSink>("radio", sink_options_);
    ASSERT_TRUE(mounts_.Add("radio", sink_));
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  void StartServer(HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>("127.0.0.1", 0, mounts_, options);
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    port_ = server_->port();
    ASSERT_GT(port_, 0);
  }
  Broadcast& ogg() { return sink_->broadcast(LiveFormat::kOggOpus); }
  Broadcast& mp3() { return sink_->broadcast(LiveFormat::kMp3); }

  // Opens a listener and waits until the server has joined it and sent the response head.
  Socket Listen(const std::string& path, Response* head = nullptr) {
    const int64_t before = server_->listeners();
    Socket s = Connect(port_);
    SendAll(s, Get(path));
    std::string raw;
    EXPECT_EQ(
        ReadUntil(s, &raw, 3000, [](const std::string& b) { return b.find("\r\n\r\n") != b.npos; }),
        ReadEnd::kEnough);
    EXPECT_TRUE(WaitFor([&] { return server_->listeners() > before; }));
    if (head != nullptr) *head = Parse(raw);
    leftover_ = Parse(raw).body;
    return s;
  }

  LiveSinkOptions sink_options_;
  MountRegistry mounts_;
  std::shared_ptr<LiveSink> sink_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  std::string leftover_;  // body bytes that came with the last Listen's head
};

TEST_F(HttpServerTest, HealthzAndMetrics) {
  StartServer();
  Response r = Exchange(port_, Get("/healthz"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/json; charset=utf-8");
  EXPECT_EQ(r.body, "{\"status\":\"ok\"}");
  EXPECT_EQ(r.headers["content-length"], std::to_string(r.body.size()));

  r = Exchange(port_, Get("/metrics"));
  EXPECT_EQ(r.status, 404);  // no handler yet
  EXPECT_EQ(ErrorCode(r), "not_found");

  server_->SetMetricsHandler([] { return std::string("# TYPE x counter\nx 1\n"); });
  r = Exchange(port_, Get("/metrics?x=1"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body, "# TYPE x counter\nx 1\n");

  r = Exchange(port_, "HEAD /healthz HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-length"], "15");
  EXPECT_EQ(r.body, "");
}

TEST_F(HttpServerTest, NotFoundForUnknownPathsBadSlugsAndMissingMounts) {
  StartServer();
  for (const char* path : {"/", "/nope", "/live", "/live/", "/live/Radio", "/live/-radio",
                           "/live/ra_dio", "/live/radio.wav", "/live/radio/x", "/live/.ogg",
                           "/live/other", "/live/other.mp3", "/livex/radio"}) {
    Response r = Exchange(port_, Get(path));
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(ErrorCode(r), "not_found") << path;
    EXPECT_EQ(r.headers["content-type"], "application/json; charset=utf-8") << path;
  }
  // HEAD follows GET, without a body.
  Response r = Exchange(port_, "HEAD /live/other HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "");
}

TEST_F(HttpServerTest, OtherMethodsAre405WithAllow) {
  StartServer();
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "BREW"}) {
    Response r = Exchange(port_, std::string(method) + " /live/radio HTTP/1.1\r\n\r\n");
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(r.headers["allow"], "GET, HEAD") << method;
    EXPECT_EQ(ErrorCode(r), "method_not_allowed") << method;
  }
  // A POST with a body still gets its answer (the body is drained, not a reset).
  Response r = Exchange(port_, "POST /live/radio HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(r.status, 405);
}

TEST_F(HttpServerTest, MalformedRequestsAre400) {
  StartServer();
  for (const std::string& req : {
           std::string("GARBAGE\r\n\r\n"),
           std::string("GET /live/radio\r\n\r\n"),
           std::string("GET /live/radio HTTP/2.0\r\n\r\n"),
           std::string("GET  /live/radio HTTP/1.1\r\n\r\n"),
           std::string("GET live/radio HTTP/1.1\r\n\r\n"),
           std::string("G(T /live/radio HTTP/1.1\r\n\r\n"),
           std::string("GET /live/radio HTTP/1.1\r\nNoColon\r\n\r\n"),
           std::string("GET /live/radio HTTP/1.1\r\nBad Name: x\r\n\r\n"),
           std::string("GET /live/radio HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
           std::string("GET /live/radio HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"),
           std::string("GET /live/radio HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
       }) {
    Response r = Exchange(port_, req);
    EXPECT_EQ(r.status, 400) << req;
    EXPECT_EQ(ErrorCode(r), "bad_request") << req;
  }
  EXPECT_EQ(sink_->Listeners(), 0);
  // Content-Length: 0 is no body; bare LF line ends are tolerated.
  Response r = Exchange(port_, "HEAD /healthz HTTP/1.0\nContent-Length: 0\n\n");
  EXPECT_EQ(r.status, 200);
}

TEST_F(HttpServerTest, HeadsOver8KiBAre400) {
  StartServer();
  // Never terminated: answered once 8 KiB have arrived.
  ReadEnd how;
  Response r = Exchange(port_, "GET /healthz HTTP/1.1\r\nX-Big: " + std::string(9000, 'a'), &how);
  EXPECT_EQ(how, ReadEnd::kClosed);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorCode(r), "bad_request");
  // Complete but too big.
  std::string big = "GET /healthz HTTP/1.1\r\n";
  for (int i = 0; i < 100; ++i)
    big += "X-H" + std::to_string(i) + ": " + std::string(80, 'b') + "\r\n";
  big += "\r\n";
  ASSERT_GT(big.size(), 8192u);
  r = Exchange(port_, big);
  EXPECT_EQ(r.status, 400);
  // Just under the limit is fine.
  std::string ok = "GET /healthz HTTP/1.1\r\nX-Pad: ";
  ok += std::string(8192 - ok.size() - 4, 'c') + "\r\n\r\n";
  ASSERT_EQ(ok.size(), 8192u);
  EXPECT_EQ(Exchange(port_, ok).status, 200);
}

TEST_F(HttpServerTest, SlowLorisGets408) {
  HttpServerOptions o;
  o.header_timeout_ms = 200;
  StartServer(o);
  const auto start = steady_clock::now();
  Socket s = Connect(port_);
  SendAll(s, "GET /live/radio HTTP/1.1\r\nX-A: 1\r\n");
  std::this_thread::sleep_for(milliseconds(50));
  SendAll(s, "X-B: 2\r\n");  // dribbling does not extend the deadline
  std::string raw;
  EXPECT_EQ(ReadToClose(s, &raw), ReadEnd::kClosed);
  const auto elapsed = steady_clock::now() - start;
  Response r = Parse(raw);
  EXPECT_EQ(r.status, 408);
  EXPECT_EQ(ErrorCode(r), "request_timeout");
  EXPECT_GE(elapsed, milliseconds(180));
  EXPECT_LT(elapsed, milliseconds(2000));
  EXPECT_EQ(server_->listeners(), 0);
  s.Close();
  EXPECT_TRUE(WaitFor([&] { return server_->connections() == 0; }, 1000));
}

TEST_F(HttpServerTest, LiveAnswerHeadersForBothFormatsAndHead) {
  StartServer();
  Response head;
  Socket a = Listen("/live/radio?player=web", &head);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["content-type"], "audio/ogg");
  EXPECT_EQ(head.headers["cache-control"], "no-cache, no-store");
  EXPECT_EQ(head.headers["connection"], "close");
  EXPECT_EQ(head.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(head.headers.count("content-length"), 0u);
  Socket b = Listen("/live/radio.ogg", &head);
  EXPECT_EQ(head.headers["content-type"], "audio/ogg");
  Socket c = Listen("/live/radio.mp3", &head);
  EXPECT_EQ(head.headers["content-type"], "audio/mpeg");
  EXPECT_EQ(sink_->Listeners(LiveFormat::kOggOpus), 2);
  EXPECT_EQ(sink_->Listeners(LiveFormat::kMp3), 1);

  // HEAD: the same headers, no body, closed, and not a listener.
  ReadEnd how;
  Response r = Exchange(port_, "HEAD /live/radio.mp3 HTTP/1.1\r\n\r\n", &how);
  EXPECT_EQ(how, ReadEnd::kClosed);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "audio/mpeg");
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(sink_->Listeners(), 3);
}

TEST_F(HttpServerTest, TwoListenersGetTheHeaderAndIdenticalChunksInOrder) {
  StartServer();
  ogg().Start("OggS-HEADER");
  Socket a = Listen("/live/radio");
  std::string body_a = leftover_;
  Socket b = Listen("/live/radio.ogg");
  std::string body_b = leftover_;
  std::string want = "OggS-HEADER";
  for (int i = 0; i < 40; ++i) {
    ogg().Publish(Chunk(i, 100 + i));
    want += Chunk(i, 100 + i);
    if (i % 10 == 0) std::this_thread::sleep_for(milliseconds(2));
  }
  EXPECT_EQ(ReadAtLeast(a, &body_a, want.size()), ReadEnd::kEnough);
  EXPECT_EQ(ReadAtLeast(b, &body_b, want.size()), ReadEnd::kEnough);
  EXPECT_EQ(body_a, want);
  EXPECT_EQ(body_b, want);
  EXPECT_TRUE(WaitFor([&] { return sink_->Stats().bytes_sent == 2 * want.size(); }));
}

TEST_F(HttpServerTest, NewListenerGetsTheBurstAtOnce) {
  HttpServerOptions o;
  o.burst_ms = 500;
  StartServer(o);
  mp3().Start("");
  for (int i = 0; i < 50; ++i) mp3().Publish(Chunk(i), 20);
  const auto start = steady_clock::now();
  Socket s = Listen("/live/radio.mp3");
  std::string body = leftover_;
  std::string want;
  for (int i = 25; i < 50; ++i) want += Chunk(i);  // the last 500 ms
  EXPECT_EQ(ReadAtLeast(s, &body, want.size(), 1000), ReadEnd::kEnough);
  EXPECT_LT(steady_clock::now() - start, milliseconds(500));
  EXPECT_EQ(body, want);
  // Nothing more until the next chunk, which follows at once.
  EXPECT_EQ(ReadAtLeast(s, &body, want.size() + 1, 100), ReadEnd::kTimeout);
  mp3().Publish(Chunk(50), 20);
  EXPECT_EQ(ReadAtLeast(s, &body, want.size() + Chunk(50).size()), ReadEnd::kEnough);
  EXPECT_EQ(body, want + Chunk(50));
}

TEST_F(HttpServerTest, ListenerConnectedBeforeTheEncoderStartsGetsItsFirstData) {
  StartServer();
  Socket s = Listen("/live/radio");
  std::string body = leftover_;
  EXPECT_EQ(ReadAtLeast(s, &body, 1, 100), ReadEnd::kTimeout);  // connected, nothing yet
  ogg().Start("HDR");
  ogg().Publish("page1");
  EXPECT_EQ(ReadAtLeast(s, &body, 8), ReadEnd::kEnough);
  EXPECT_EQ(body, "HDRpage1");
}

TEST_F(HttpServerTest, SlowListenerIsDroppedWhileOthersKeepEveryChunk) {
  // 400 ms of ring: 20 chunks of 20 ms.
  sink_options_.broadcast.max_lag_ms = 400;
  sink_ = std::make_shared<LiveSink>("radio", sink_options_);
  mounts_.Add("radio", sink_);
  HttpServerOptions o;
  o.send_buffer_bytes = 16384;
  StartServer(o);
  ogg().Start("H");

  // The slow one never reads, with a small receive buffer.
  Socket slow = Connect(port_, 4096);
  SendAll(slow, Get("/live/radio"));
  ASSERT_TRUE(WaitFor([&] { return sink_->Listeners() == 1; }));
  Socket fast = Listen("/live/radio");

  constexpr int kChunks = 120;
  constexpr size_t kSize = 16384;
  std::atomic<size_t> received{0};
  std::string body = leftover_;
  const size_t total = 1 + kChunks * kSize;
  std::thread reader([&] {
    char tmp[65536];
    while (body.size() < total) {
      pollfd p{fast.fd(), POLLIN, 0};
      if (::poll(&p, 1, 3000) <= 0) break;
      const ssize_t n = ::recv(fast.fd(), tmp, sizeof tmp, 0);
      if (n <= 0) break;
      body.append(tmp, static_cast<size_t>(n));
      received = body.size();
    }
  });
  std::string want = "H";
  for (int i = 0; i < kChunks; ++i) {
    // Keep the reading listener within 5 chunks: it is slowish, but never too slow.
    if (!WaitFor([&] { return received.load() + 5 * kSize >= want.size(); })) {
      ADD_FAILURE() << "reader stuck at chunk " << i;
      break;
    }
    ogg().Publish(Chunk(i, kSize), 20);
    want += Chunk(i, kSize);
  }
  reader.join();
  EXPECT_EQ(body.size(), want.size());
  EXPECT_TRUE(body == want);  // every byte, in order
  EXPECT_TRUE(WaitFor([&] { return sink_->Stats().dropped_slow == 1; }));
  EXPECT_EQ(sink_->Listeners(), 1);
  // The slow one's connection is gone (reset or closed, after whatever its buffers held).
  std::string slow_got;
  EXPECT_EQ(ReadToClose(slow, &slow_got), ReadEnd::kClosed);
  EXPECT_LT(slow_got.size(), want.size() / 2);
}

TEST_F(HttpServerTest, StalledListenerIsDroppedAfterTheStallTimeout) {
  // A ring big enough never to drop it, and then the stream ends: only the stall timeout can.
  HttpServerOptions o;
  o.send_buffer_bytes = 16384;
  o.stall_timeout_ms = 200;
  StartServer(o);
  ogg().Start("H");
  Socket stuck = Connect(port_, 4096);
  SendAll(stuck, Get("/live/radio"));
  ASSERT_TRUE(WaitFor([&] { return sink_->Listeners() == 1; }));
  for (int i = 0; i < 20; ++i) ogg().Publish(Chunk(i, 16384), 20);
  ogg().End();
  EXPECT_FALSE(WaitFor([&] { return sink_->Listeners() == 0; }, 100));  // still stuck
  EXPECT_TRUE(WaitFor([&] { return sink_->Listeners() == 0; }, 2000));
  EXPECT_EQ(sink_->Stats().dropped_slow, 1u);
}

TEST_F(HttpServerTest, ListenerCountsFollowJoinsAndLeavesWithCallbacks) {
  std::atomic<int> calls{0};
  sink_->SetListenersChanged([&calls] { ++calls; });
  StartServer();
  Socket a = Listen("/live/radio");
  EXPECT_EQ(sink_->Listeners(), 1);
  EXPECT_GE(calls.load(), 1);
  {
    Socket b = Listen("/live/radio.mp3");
    EXPECT_EQ(sink_->Listeners(), 2);
    EXPECT_EQ(sink_->Stats().listeners_mp3, 1);
    EXPECT_EQ(sink_->Stats().listeners_ogg, 1);
    EXPECT_EQ(server_->listeners(), 2);
    EXPECT_EQ(calls.load(), 2);
  }  // b hangs up
  EXPECT_TRUE(WaitFor([&] { return sink_->Listeners() == 1; }));
  EXPECT_EQ(sink_->Listeners(LiveFormat::kMp3), 0);
  EXPECT_TRUE(WaitFor([&] { return calls.load() == 3; }));
  a.Close();
  EXPECT_TRUE(WaitFor([&] { return sink_->Listeners() == 0 && calls.load() == 4; }));
  EXPECT_TRUE(WaitFor([&] { return server_->listeners() == 0; }));
}

TEST_F(HttpServerTest, EndClosesConnectionsAfterTheData) {
  StartServer();
  ogg().Start("HDR");
  Socket s = Listen("/live/radio");
  std::string body = leftover_;
  std::string want = "HDR";
  for (int i = 0; i < 5; ++i) {
    ogg().Publish(Chunk(i, 5000));
    want += Chunk(i, 5000);
  }
  sink_->OnEnd("manual");
  EXPECT_EQ(ReadToClose(s, &body), ReadEnd::kClosed);
  EXPECT_EQ(body, want);
  EXPECT_TRUE(WaitFor([&] { return sink_->Listeners() == 0; }));
  // An ended mount is a 404, so nginx can try another streamer.
  EXPECT_EQ(Exchange(port_, Get("/live/radio")).status, 404);
}

TEST_F(HttpServerTest, RemovedMountEndsItsListenersAndIs404) {
  StartServer();
  mp3().Start("");
  Socket s = Listen("/live/radio.mp3");
  mp3().Publish("frame");
  std::string body = leftover_;
  EXPECT_EQ(ReadAtLeast(s, &body, 5), ReadEnd::kEnough);
  ASSERT_NE(mounts_.Remove("radio"), nullptr);
  EXPECT_EQ(ReadToClose(s, &body), ReadEnd::kClosed);
  EXPECT_EQ(body, "frame");
  EXPECT_EQ(Exchange(port_, Get("/live/radio.mp3")).status, 404);
}

TEST_F(HttpServerTest, MaxListenersGives503) {
  HttpServerOptions o;
  o.max_listeners = 2;
  StartServer(o);
  Socket a = Listen("/live/radio");
  Socket b = Listen("/live/radio.mp3");
  Response r = Exchange(port_, Get("/live/radio"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(ErrorCode(r), "too_many_listeners");
  EXPECT_EQ(sink_->Listeners(), 2);
  EXPECT_EQ(Exchange(port_, Get("/healthz")).status, 200);  // other routes still answer
  a.Close();
  ASSERT_TRUE(WaitFor([&] { return server_->listeners() == 1; }));
  Response head;
  Socket c = Listen("/live/radio", &head);
  EXPECT_EQ(head.status, 200);
}

TEST_F(HttpServerTest, BytesAfterTheRequestAreIgnored) {
  StartServer();
  mp3().Start("");
  Socket s = Connect(port_);
  SendAll(s, Get("/live/radio.mp3") + "GET /healthz HTTP/1.1\r\n\r\nmore junk");
  ASSERT_TRUE(WaitFor([&] { return sink_->Listeners() == 1; }));
  SendAll(s, std::string(10000, 'z'));
  mp3().Publish("abc");
  std::string raw;
  EXPECT_EQ(ReadUntil(s, &raw, 3000,
                      [](const std::string& b) {
                        return b.size() >= 3 && b.substr(b.size() - 3) == "abc";
                      }),
            ReadEnd::kEnough);
  Response r = Parse(raw);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "abc");
  // Its end still arrives intact.
  mp3().Publish("def");
  mp3().End();
  EXPECT_EQ(ReadToClose(s, &raw), ReadEnd::kClosed);
  EXPECT_EQ(Parse(raw).body, "abcdef");
}

TEST_F(HttpServerTest, StopClosesListenersAndStartFailsOnABusyPort) {
  StartServer();
  Socket s = Listen("/live/radio");
  HttpServer other("127.0.0.1", port_, mounts_);
  std::string error;
  EXPECT_FALSE(other.Start(&error));
  EXPECT_NE(error.find("bind"), std::string::npos) << error;
  server_->Stop();
  std::string body;
  EXPECT_EQ(ReadToClose(s, &body), ReadEnd::kClosed);
  EXPECT_EQ(sink_->Listeners(), 0);
  server_->Stop();  // idempotent
}

// Both real encoders end to end: ~2 s of a 440 Hz sine through LiveSink to an Ogg and an MP3
// listener.
TEST_F(HttpServerTest, RealEncodersStreamOggOpusAndMp3) {
  StartServer();
  Socket ogg_listener = Listen("/live/radio.ogg");
  std::string ogg_body = leftover_;
  Socket mp3_listener = Listen("/live/radio.mp3");
  std::string mp3_body = leftover_;
  ASSERT_EQ(sink_->Listeners(), 2);
  PcmFrame frame;
  int64_t t = 0;
  for (int f = 0; f < 100; ++f) {
    for (int i = 0; i < kFrameSamples; ++i, ++t) {
      const auto v = static_cast<int16_t>(8000 * std::sin(2 * kPi * 440.0 * t / kSampleRate));
      frame.samples[2 * i] = v;
      frame.samples[2 * i + 1] = v;
    }
    sink_->OnFrame(frame);
  }
  EXPECT_TRUE(sink_->encoding(LiveFormat::kOggOpus));
  EXPECT_TRUE(sink_->encoding(LiveFormat::kMp3));
  sink_->OnEnd("manual");
  EXPECT_EQ(ReadToClose(ogg_listener, &ogg_body), ReadEnd::kClosed);
  EXPECT_EQ(ReadToClose(mp3_listener, &mp3_body), ReadEnd::kClosed);
  EXPECT_EQ(sink_->Stats().encode_errors, 0u);

  ASSERT_GT(ogg_body.size(), 1000u);
  EXPECT_EQ(ogg_body.compare(0, 4, "OggS"), 0);
  EXPECT_EQ(ogg_body.find("OpusHead"),
            28u);  // in the first page, after its 27-byte header + 1 lacing byte
  EXPECT_NE(ogg_body.find("OpusTags"), std::string::npos);

  ASSERT_GT(mp3_body.size(), 1000u);
  EXPECT_EQ(static_cast<unsigned char>(mp3_body[0]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>(mp3_body[1]) & 0xE0, 0xE0);
  EXPECT_EQ(sink_->Stats().bytes_sent, ogg_body.size() + mp3_body.size());
}

}  // namespace
}  // namespace sattva::streamer
