#pragma once
// The lws side of wsd: one context, one vhost on wsd_host:wsd_port, one protocol ("sattva-stats",
// protocols[0], so it is used when the client names none) that serves the WebSocket at
// /ws/stats and plain HTTP GET /metrics and /healthz. Everything in here runs on the one lws
// service thread (the thread that calls Run) except Wake() and RequestStop().
//
// Live events come through the EventRing and resume results through the BackfillExchange; the
// service thread drains both on LWS_CALLBACK_EVENT_WAIT_CANCELLED and fans out through Fanout.
// Writes happen only in LWS_CALLBACK_SERVER_WRITEABLE, one lws_write each.

#include <libwebsockets.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "wsd/access.h"
#include "wsd/access_watch.h"
#include "wsd/event_reader.h"
#include "wsd/fanout.h"
#include "wsd/frames.h"
#include "wsd/handoff.h"
#include "wsd/live_stats.h"
#include "wsd/http_routes.h"
#include "wsd/wsd_metrics.h"

namespace sattva::wsd {

inline constexpr const char* kProtocolName = "sattva-stats";

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: ephemeral; see Server::port()
  size_t max_clients = 10000;
  size_t client_queue = 1024;
  int ping_interval_s = 20;
};

// Who may connect (wsd/access.h). Every pointer must outlive the server.
struct ServerAccess {
  Authenticator* authenticator = nullptr;  // used on the service thread only
  CredentialRegistry* registry = nullptr;  // the credentials of open connections, for the watcher
  RevocationQueue* revocations = nullptr;  // what the watcher found revoked
  CapLimits caps;
};

struct LwsContextDestroy {
  void operator()(lws_context* c) const { lws_context_destroy(c); }
};
using LwsContextPtr = std::unique_ptr<lws_context, LwsContextDestroy>;

class Server {
 public:
  // Every reference must outlive the server. The ring and exchange should be built with
  // Wake() of this server as their wake function.
  Server(ServerOptions options, EventRing& ring, BackfillExchange& backfills,
         const RedisHealth& health, common::Metrics& metrics, WsdMetrics& wsd_metrics,
         const common::Clock& clock);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Creates the context and the listening vhost. Throws std::runtime_error with a clear reason
  // (address in use, bad host) when it cannot listen.
  void Listen();
  // The bound port (the kernel's choice when the option was 0). Valid after Listen().
  int port() const { return port_; }

  // Access control; call before Listen(). Without it every upgrade is refused (503).
  void SetAccess(const ServerAccess& access);

  // Wakes the service thread. Thread-safe; a no-op before Listen().
  void Wake();
  // Makes Run() return. Thread-safe.
  void RequestStop();
  // Where stats and stream_tick samples come from (built with Wake() as its wake function).
  // Set before Run; |samples| must outlive the server.
  void set_samples(SampleQueue* samples) { samples_ = samples; }
  // Serves until RequestStop(). Then closes every client with 1001 "going away" and keeps
  // serving until they are gone or |drain| has passed. Returns false when lws failed and the
  // loop ended without a stop request.
  bool Run(std::chrono::milliseconds drain);

  // The lws protocol callback (one switch over |reason|).
  static int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

 private:
  struct PendingHttp {
    std::string body;
    bool close = false;  // close the connection after the body (non-GET requests)
  };
  struct Conn {
    lws* wsi = nullptr;
    std::string rx;  // the client message being assembled
    bool rx_binary = false;
    PrincipalPtr principal;  // who it belongs to (never null once established)
    std::string address;     // the client address its caps count against
    bool in_message = false;  // a message has begun and its final fragment has not come
    bool deflate = false;     // the client negotiated permessage-deflate
    int fd = -1;              // its socket, watched by a MaskGuard
    bool write_failed = false;  // a direct write failed: close from the writable callback
  };

  int OnConfirmUpgrade(lws* wsi);
  // Authenticates an upgrade and checks its caps. True: admitted (remembered in
  // pending_access_ until OnEstablished); false: *refusal is the answer.
  bool Admit(lws* wsi, HttpResponse* refusal);
  // Closes the connections of the credentials the watcher found revoked.
  void DrainRevocations();
  int OnFilter(lws* wsi, void* user);
  int OnEstablished(lws* wsi, void* user);
  int OnReceive(lws* wsi, void* user, const char* in, size_t len);
  int OnWriteable(lws* wsi, void* user);
  void OnClosed(void* user);
  // Frames what |s| has queued and hands it to lws in one raw write. -1 when the write failed.
  int WriteQueued(SessionId id, Conn& c, ClientSession* s);
  void OnWaitCancelled();
  int OnHttp(lws* wsi, const char* uri);
  int OnHttpWriteable(lws* wsi);

  void HandleClientMessage(SessionId id, const std::string& text, bool binary);
  void StartResume(SessionId id, ClientSession* session, const StreamId& after);
  // A snapshot, then the events after its id (a fresh connection, or {"type":"snapshot"}).
  void StartSnapshot(SessionId id, ClientSession* session);
  static bool WantsSnapshot(lws* wsi);
  void ApplyActions();
  void CloseAll(int code, const std::string& reason);

  const ServerOptions options_;
  EventRing& ring_;
  BackfillExchange& backfills_;
  const RedisHealth& health_;
  common::Metrics& metrics_;
  WsdMetrics& wsd_metrics_;
  const common::Clock& clock_;
  HttpSources http_sources_;

  lws_retry_bo_t retry_{};
  lws_protocols protocols_[2]{};
  LwsContextPtr context_;
  std::atomic<lws_context*> live_context_{nullptr};
  int port_ = 0;
  lws_sorted_usec_list_t tick_{};  // wakes lws_service while draining
  std::atomic<bool> stop_{false};
  bool stopping_ = false;  // service thread: clients were told to go away

  Fanout fanout_;
  std::unordered_map<SessionId, Conn> conns_;
  std::unordered_map<lws*, PendingHttp> http_pending_;
  // Access: admitted upgrades between OnConfirmUpgrade and OnEstablished, the caps, and the
  // open connections by RegistryKey (to close them on revocation).
  struct PendingAccess {
    PrincipalPtr principal;
    std::string address;
  };
  ServerAccess access_;
  ConnectionCaps caps_{CapLimits{}};
  std::unordered_map<lws*, PendingAccess> pending_access_;
  std::unordered_map<std::string, std::unordered_set<SessionId>> by_credential_;
  std::vector<Revocation> revocation_scratch_;
  FanoutActions actions_;  // scratch, service thread
  // LWS_PRE + the frames being written. One for all connections: lws copies whatever part
  // of a write the socket does not take at once.
  std::vector<unsigned char> tx_scratch_;
  DeflateCache deflate_;
  std::vector<RingItem> ring_scratch_;
  std::vector<BackfillReply> reply_scratch_;
  SampleQueue* samples_ = nullptr;  // stats and stream_tick, drained in OnWaitCancelled
  std::vector<LiveSample> sample_scratch_;
};

}  // namespace sattva::wsd
