#pragma once
// The streamer's HTTP server: live audio for listeners (behind nginx's /live/), /metrics and
// /healthz. One thread, epoll, non-blocking sockets.
//
//   GET|HEAD /live/<slug>, /live/<slug>.ogg   Ogg/Opus       (a query string is ignored)
//   GET|HEAD /live/<slug>.mp3                 MP3
//   GET|HEAD /metrics                         the metrics handler's body (Prometheus text 0.0.4)
//   GET|HEAD /healthz                         200 {"status":"ok"}
//
// A live answer is `200 OK` with the format's Content-Type, `Cache-Control: no-cache, no-store`,
// `Connection: close` and no Content-Length; the body is the format header, a burst of about
// burst_ms of recent audio, then the stream as it is published, until the stream ends (the
// connection closes after the last byte) or the client goes. A listener that falls further
// behind than the mount's ring (BroadcastOptions::max_lag_ms) is dropped; nobody else waits.
//
// Errors are `{"error":{"code","message"}}` with Connection: close:
//   400 bad_request          malformed request line or headers, a head over 8 KiB, a body
//   404 not_found            unknown path, a slug not matching ^[a-z0-9][a-z0-9-]{0,62}$, or no
//                            (running) mount for it here: nginx may try another streamer
//   405 method_not_allowed   any method but GET and HEAD (with `Allow: GET, HEAD`)
//   408 request_timeout      the request head did not arrive within header_timeout_ms
//   503 too_many_listeners   max_listeners listeners are connected
// Paths are matched as sent (not percent-decoded). Bytes a client sends after its request are
// ignored; a client that closes (or half-closes) its side is gone.
//
// Fan-out: chunks are shared, immutable strings (Broadcast). Publishing wakes the server thread
// through an eventfd; it writes to every caught-up listener of that mount with one sendmsg of
// up to kMaxIov slices, and arms EPOLLOUT only for listeners whose socket is full.
//
// Threads: Start, Stop and the destructor from one controlling thread. SetMetricsHandler,
// port(), listeners() and connections() are thread-safe. The metrics handler and the mounts'
// listeners-changed callbacks run on the server thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "streamer/live_mount.h"

namespace sattva::streamer {

struct HttpServerOptions {
  // Connected live listeners (this server, all mounts); more get 503.
  int64_t max_listeners = 1000;
  // Open sockets of any kind; beyond it new ones are reset at once. 0: max_listeners + 256.
  int64_t max_connections = 0;
  // The request head must arrive within this, else 408.
  int64_t header_timeout_ms = 10000;
  // Recent audio a new listener gets at once.
  int64_t burst_ms = 500;
  // After an answer (or the end of a stream), how long to wait for the client to close.
  int64_t linger_ms = 2000;
  // A listener whose socket takes no byte for this long is dropped (counted as slow).
  int64_t stall_timeout_ms = 30000;
  // SO_SNDBUF for accepted sockets; 0: the kernel's default (autotuned).
  int send_buffer_bytes = 0;
};

class HttpServer {
 public:
  using Options = HttpServerOptions;

  // `host` is a numeric address ("" or "0.0.0.0": all IPv4; "::": all); `port` 0 picks a free
  // port. |mounts| must outlive the server.
  HttpServer(std::string host, int port, MountRegistry& mounts, Options options = {});
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Stops.
  ~HttpServer();

  // Binds and listens (SO_REUSEADDR) and starts the server thread. Returns false and sets
  // *error when the address cannot be bound, or when already started.
  bool Start(std::string* error);
  // Closes every connection and the listening socket and joins the thread. Idempotent.
  void Stop();
  // The bound port (after Start), or the configured one.
  int port() const;
  // Supplies the /metrics body. Without one, /metrics is a 404.
  void SetMetricsHandler(std::function<std::string()> handler);

  // Connected live listeners, and open sockets of any kind.
  int64_t listeners() const;
  int64_t connections() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sattva::streamer
