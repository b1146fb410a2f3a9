#include "wsd/server.h"

#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "common/log.h"
#include "wsd/mask_guard.h"
#include "wsd/messages.h"

namespace sattva::wsd {
namespace {

// lws zero-fills this per connection; it holds only plain data.
struct PerSession {
  SessionId id;
  bool has_resume;
  bool bad_resume;
  uint64_t resume_ms;
  uint64_t resume_seq;
};

std::mutex g_lws_log_mu;
std::string g_last_lws_error;  // guarded by g_lws_log_mu

void EmitLwsLog(int level, const char* line) {
  std::string s = line == nullptr ? "" : line;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (level & LLL_ERR) {
    {
      std::lock_guard<std::mutex> lock(g_lws_log_mu);
      g_last_lws_error = s;
    }
    LOG_ERROR << "lws: " << s;
  } else {
    LOG_WARN << "lws: " << s;
  }
}

std::string LastLwsError() {
  std::lock_guard<std::mutex> lock(g_lws_log_mu);
  return g_last_lws_error;
}

const char* MethodName(int m) {
  switch (m) {
    case LWSHUMETH_GET:
      return "GET";
    case LWSHUMETH_POST:
      return "POST";
    case LWSHUMETH_OPTIONS:
      return "OPTIONS";
    case LWSHUMETH_PUT:
      return "PUT";
    case LWSHUMETH_PATCH:
      return "PATCH";
    case LWSHUMETH_DELETE:
      return "DELETE";
    case LWSHUMETH_CONNECT:
      return "CONNECT";
    case LWSHUMETH_HEAD:
      return "HEAD";
    default:
      return "UNKNOWN";
  }
}

// Raises the soft open-files limit towards |want| and returns what lws may use.
unsigned int FdLimit(size_t want) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    rlim_t target = rl.rlim_max == RLIM_INFINITY ? want : std::min<rlim_t>(want, rl.rlim_max);
    struct rlimit raised = rl;
    raised.rlim_cur = target;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  if (rl.rlim_cur == RLIM_INFINITY) return static_cast<unsigned int>(want);
  return static_cast<unsigned int>(std::min<rlim_t>(want, rl.rlim_cur));
}

// Resolves |host| to a numeric address and checks that host:port can be bound, because lws
// keeps a vhost whose interface does not exist (waiting for it to appear) instead of failing.
// Throws std::runtime_error with the reason.
std::string PreflightListen(const std::string& host, int port, bool* ipv6) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), std::to_string(port).c_str(), &hints,
                       &res);
  if (rc != 0 || res == nullptr) {
    throw std::runtime_error("cannot listen on " + where + ": cannot resolve '" + host +
                             "': " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(res, &freeaddrinfo);
  char numeric[NI_MAXHOST];
  if (getnameinfo(res->ai_addr, res->ai_addrlen, numeric, sizeof numeric, nullptr, 0,
                  NI_NUMERICHOST) != 0) {
    throw std::runtime_error("cannot listen on " + where + ": bad address");
  }
  int fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
  if (fd < 0) throw std::runtime_error("cannot listen on " + where + ": " + std::strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  rc = bind(fd, res->ai_addr, res->ai_addrlen);
  int bind_errno = errno;
  close(fd);
  if (rc != 0) {
    throw std::runtime_error("cannot listen on " + where + ": " + std::strerror(bind_errno));
  }
  *ipv6 = res->ai_family == AF_INET6;
  return numeric;
}

// permessage-deflate (RFC 7692), negotiated by lws. wsd compresses what it sends itself (see
// wsd/frames.h); lws inflates what clients send.
const lws_extension kExtensions[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate,
     "permessage-deflate; client_no_context_takeover; client_max_window_bits"},
    {nullptr, nullptr, nullptr},
};

// The most bytes of frames one writable callback hands to lws at once.
constexpr size_t kMaxWriteBytes = 64 * 1024;

// The value of a request header ("" when absent).
std::string HeaderValue(lws* wsi, lws_token_indexes token) {
  int len = lws_hdr_total_length(wsi, token);
  if (len <= 0) return "";
  std::string v(static_cast<size_t>(len) + 1, '\0');
  int n = lws_hdr_copy(wsi, v.data(), len + 1, token);
  if (n < 0) return "";
  v.resize(static_cast<size_t>(n));
  return v;
}

// Does nothing: being due makes lws_service return while Run drains at shutdown.
void OnTick(lws_sorted_usec_list_t*) {}

}  // namespace

Server::Server(ServerOptions options, EventRing& ring, BackfillExchange& backfills,
               const RedisHealth& health, common::Metrics& metrics, WsdMetrics& wsd_metrics,
               const common::Clock& clock)
    : options_(std::move(options)),
      ring_(ring),
      backfills_(backfills),
      health_(health),
      metrics_(metrics),
      wsd_metrics_(wsd_metrics),
      clock_(clock),
      fanout_(options_.client_queue) {
  http_sources_.metrics_text = [this] { return metrics_.Serialize(); };
  http_sources_.redis_ok = [this](std::string* error) { return health_.Get(error); };
  http_sources_.clients = [this] { return conns_.size(); };
}

Server::~Server() {
  live_context_ = nullptr;
  context_.reset();
}

void Server::Listen() {
  lws_set_log_level(LLL_ERR | LLL_WARN, EmitLwsLog);

  protocols_[0].name = kProtocolName;
  protocols_[0].callback = &Server::Callback;
  protocols_[0].per_session_data_size = sizeof(PerSession);
  protocols_[0].rx_buffer_size = 4096;
  protocols_[0].user = this;
  protocols_[1] = lws_protocols{};  // terminator

  retry_.secs_since_valid_ping = static_cast<uint16_t>(options_.ping_interval_s);
  retry_.secs_since_valid_hangup =
      static_cast<uint16_t>(options_.ping_interval_s + std::max(5, options_.ping_interval_s / 2));

  bool ipv6 = false;
  const std::string address = PreflightListen(options_.host, options_.port, &ipv6);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  if (!ipv6) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  info.user = this;
  info.gid = -1;
  info.uid = -1;
  info.fd_limit_per_thread = FdLimit(options_.max_clients + 64);
  context_.reset(lws_create_context(&info));
  if (!context_) throw std::runtime_error("cannot create the lws context: " + LastLwsError());

  lws_context_creation_info vinfo;
  std::memset(&vinfo, 0, sizeof vinfo);
  vinfo.options = info.options;
  vinfo.port = options_.port;
  vinfo.iface = address.c_str();
  vinfo.protocols = protocols_;
  vinfo.vhost_name = "wsd";
  vinfo.retry_and_idle_policy = &retry_;
  vinfo.keepalive_timeout = 5;
  vinfo.extensions = kExtensions;
  lws_vhost* vhost = lws_create_vhost(context_.get(), &vinfo);
  if (vhost == nullptr) {
    std::string why = LastLwsError();
    context_.reset();
    throw std::runtime_error("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) + (why.empty() ? "" : ": lws: " + why));
  }
  port_ = lws_get_vhost_listen_port(vhost);
  if (port_ <= 0) {
    context_.reset();
    throw std::runtime_error("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) + ": no listening socket");
  }
  live_context_ = context_.get();
}

void Server::Wake() {
  if (lws_context* c = live_context_.load()) lws_cancel_service(c);
}

void Server::RequestStop() {
  stop_ = true;
  Wake();
}

bool Server::Run(std::chrono::milliseconds drain) {
  lws_context* ctx = context_.get();
  bool ok = true;
  while (!stop_.load()) {
    if (lws_service(ctx, 0) < 0) {
      LOG_ERROR << "lws_service failed; shutting down";
      ok = false;
      break;
    }
  }
  stopping_ = true;
  CloseAll(kCloseGoingAway, "going away");
  auto deadline = std::chrono::steady_clock::now() + drain;
  while (!conns_.empty() && std::chrono::steady_clock::now() < deadline) {
    lws_sul_schedule(ctx, 0, &tick_, OnTick, 20 * LWS_US_PER_MS);
    if (lws_service(ctx, 0) < 0) break;
  }
  lws_sul_cancel(&tick_);
  if (!conns_.empty()) {
    LOG_WARN << conns_.size() << " client(s) did not close in time; dropping them";
  }
  return ok;
}

int Server::Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  lws_context* ctx = lws_get_context(wsi);
  auto* self = ctx == nullptr ? nullptr : static_cast<Server*>(lws_context_user(ctx));
  if (self == nullptr) return lws_callback_http_dummy(wsi, reason, user, in, len);
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      return self->OnHttp(wsi, static_cast<const char*>(in));
    case LWS_CALLBACK_HTTP_WRITEABLE:
      return self->OnHttpWriteable(wsi);
    case LWS_CALLBACK_HTTP_BODY:
      return 0;  // request bodies are read and discarded
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (self->http_pending_.count(wsi) > 0) lws_callback_on_writable(wsi);
      return 0;
    case LWS_CALLBACK_CLOSED_HTTP:
      self->http_pending_.erase(wsi);
      self->pending_access_.erase(wsi);
      break;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      return self->OnConfirmUpgrade(wsi);
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      return self->OnFilter(wsi, user);
    case LWS_CALLBACK_ESTABLISHED:
      return self->OnEstablished(wsi, user);
    case LWS_CALLBACK_RECEIVE:
      return self->OnReceive(wsi, user, static_cast<const char*>(in), len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
      return self->OnWriteable(wsi, user);
    case LWS_CALLBACK_CLOSED:
      self->OnClosed(user);
      return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      self->OnWaitCancelled();
      return 0;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

int Server::OnConfirmUpgrade(lws* wsi) {
  char uri[256];
  int n = lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
  HttpResponse refusal;
  if (n <= 0 || std::strcmp(uri, kStatsPath) != 0) {
    LOG_INFO << "rejecting a WebSocket upgrade on a path other than " << kStatsPath;
    refusal = JsonError(404, "not_found", "WebSocket upgrades are served on /ws/stats only");
  } else if (stopping_) {
    refusal = JsonError(503, "shutting_down", "the server is shutting down");
  } else if (conns_.size() >= options_.max_clients) {
    LOG_WARN << "rejecting a WebSocket client: wsd_max_clients (" << options_.max_clients
             << ") reached";
    refusal = JsonError(503, "too_many_clients", "too many WebSocket clients; retry later");
  } else if (Admit(wsi, &refusal)) {
    return 0;  // upgrade
  }
  // Answer with the JSON error instead of upgrading: headers and body in one write (HTTP/1.1
  // only; wsd serves no TLS, so no h2), then tell lws the response was sent.
  unsigned char buf[LWS_PRE + 1024];
  unsigned char* start = buf + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buf + sizeof buf - 1;
  if (lws_add_http_common_headers(wsi, static_cast<unsigned int>(refusal.status),
                                  refusal.content_type.c_str(), refusal.body.size(), &p, end) ||
      lws_finalize_http_header(wsi, &p, end) ||
      static_cast<size_t>(end - p) < refusal.body.size()) {
    return -1;
  }
  std::memcpy(p, refusal.body.data(), refusal.body.size());
  p += refusal.body.size();
  size_t total = static_cast<size_t>(p - start);
  if (lws_write(wsi, start, total, LWS_WRITE_HTTP_HEADERS) != static_cast<int>(total)) return -1;
  return 1;
}

void Server::SetAccess(const ServerAccess& access) {
  access_ = access;
  caps_ = ConnectionCaps(access.caps);
}

bool Server::Admit(lws* wsi, HttpResponse* refusal) {
  if (access_.authenticator == nullptr || access_.registry == nullptr) {
    *refusal = JsonError(503, "unavailable", "access control is not set up");
    return false;
  }
  const std::string authorization = HeaderValue(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
  const std::string cookie = HeaderValue(wsi, WSI_TOKEN_HTTP_COOKIE);
  const std::string origin = HeaderValue(wsi, WSI_TOKEN_ORIGIN);
  char arg[128];
  const char* ticket_arg = lws_get_urlarg_by_name(wsi, "ticket=", arg, sizeof arg);
  const std::string ticket = ticket_arg == nullptr ? "" : ticket_arg;
  char peer[64] = "";
  lws_get_peer_simple(wsi, peer, sizeof peer);
  char real_ip[64] = "";
  if (lws_hdr_custom_copy(wsi, real_ip, sizeof real_ip, "x-real-ip:", 10) < 0) real_ip[0] = '\0';
  const std::string address = ClientAddress(peer, real_ip);

  const Credential credential = ParseCredential(authorization, ticket, cookie);
  AccessDecision d = access_.authenticator->Authenticate(credential, origin);
  switch (d.status) {
    case AccessStatus::kOk:
      break;
    case AccessStatus::kUnauthenticated:
      LOG_DEBUG << "refusing a WebSocket upgrade from " << address << ": " << d.message;
      *refusal = JsonError(401, "unauthenticated", d.message);
      return false;
    case AccessStatus::kForbiddenOrigin:
      LOG_INFO << "refusing a WebSocket upgrade from " << address << ": Origin '"
               << origin.substr(0, 100) << "' is not the site's";
      *refusal = JsonError(403, "forbidden_origin", d.message);
      return false;
    case AccessStatus::kUnavailable:
      *refusal = JsonError(503, "unavailable", d.message);
      return false;
  }
  if (!caps_.Fits(*d.principal, address)) {
    LOG_INFO << "refusing a WebSocket upgrade of user " << d.principal->user_id << " from "
             << address << ": connection cap reached";
    *refusal = JsonError(429, "too_many_connections",
                         d.principal->via == AccessPrincipal::Via::kToken
                             ? "too many WebSocket connections for this API token"
                             : "too many WebSocket connections for this session or address");
    return false;
  }
  pending_access_[wsi] = PendingAccess{std::move(d.principal), address};
  return true;
}

void Server::DrainRevocations() {
  if (access_.revocations == nullptr) return;
  revocation_scratch_.clear();
  access_.revocations->Drain(&revocation_scratch_);
  for (const Revocation& r : revocation_scratch_) {
    access_.authenticator->Forget(r.credential_key);
    auto ids = by_credential_.find(r.registry_key);
    if (ids == by_credential_.end()) continue;
    for (SessionId id : ids->second) {
      ClientSession* s = fanout_.Find(id);
      auto c = conns_.find(id);
      if (s == nullptr || c == conns_.end()) continue;
      s->RequestClose(kClosePolicyViolation, r.reason);
      lws_callback_on_writable(c->second.wsi);
    }
  }
  revocation_scratch_.clear();
}

int Server::OnFilter(lws* wsi, void* user) {
  // OnConfirmUpgrade already answered wrong paths and a full server; this is the last guard.
  char uri[256];
  int n = lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
  if (n <= 0 || std::strcmp(uri, kStatsPath) != 0) return 1;
  if (stopping_ || conns_.size() >= options_.max_clients) return 1;
  if (pending_access_.count(wsi) == 0) return 1;  // not admitted by OnConfirmUpgrade
  auto* pss = static_cast<PerSession*>(user);
  if (pss == nullptr) return 1;
  char arg[128];
  const char* v = lws_get_urlarg_by_name(wsi, "last_event_id=", arg, sizeof arg);
  if (v != nullptr) {
    std::optional<StreamId> id = StreamId::Parse(v);
    if (id) {
      pss->has_resume = true;
      pss->resume_ms = id->ms;
      pss->resume_seq = id->seq;
    } else {
      pss->bad_resume = true;
    }
  }
  return 0;
}

int Server::OnEstablished(lws* wsi, void* user) {
  auto* pss = static_cast<PerSession*>(user);
  if (pss == nullptr) return -1;
  SessionId id = fanout_.Add();
  pss->id = id;
  conns_[id].wsi = wsi;
  {
    // Access: the principal admitted by OnConfirmUpgrade now owns the connection.
    auto admitted = pending_access_.find(wsi);
    if (admitted == pending_access_.end()) {
      fanout_.Remove(id);
      conns_.erase(id);
      pss->id = 0;
      return -1;
    }
    Conn& c = conns_[id];
    c.principal = std::move(admitted->second.principal);
    c.address = std::move(admitted->second.address);
    pending_access_.erase(admitted);
    caps_.Add(*c.principal, c.address);
    access_.registry->Add(*c.principal);
    by_credential_[RegistryKey(*c.principal)].insert(id);
    fanout_.Find(id)->set_redacted(c.principal->Redacted());
  }
  // lws accepts the option only when the extension is active on this connection.
  conns_[id].deflate =
      lws_set_extension_option(wsi, "permessage-deflate", "rx_buf_size", "10") == 0;
  conns_[id].fd = lws_get_socket_fd(wsi);
  mask_guards::Watch(conns_[id].fd);
  wsd_metrics_.connections.Set(static_cast<double>(conns_.size()));
  ClientSession* s = fanout_.Find(id);
  const AccessPrincipal& who = *conns_[id].principal;
  const HelloUser hello_user{who.user_id, who.name, fcgi::RoleName(who.role)};
  Fanout::Record(id, s->SendControl(BuildHello(clock_.WallNow(), fanout_.head(), &hello_user)),
                 &actions_);
  if (pss->bad_resume) {
    Fanout::Record(id,
                   s->SendControl(BuildError(
                       "bad_message", "last_event_id is not an event id (expected <ms>-<seq>)")),
                   &actions_);
  } else if (pss->has_resume) {
    StartResume(id, s, StreamId{pss->resume_ms, pss->resume_seq});
  } else if (WantsSnapshot(wsi)) {
    StartSnapshot(id, s);
  }
  LOG_DEBUG << "client " << id << " connected (" << conns_.size() << " now)";
  ApplyActions();
  return 0;
}

int Server::OnReceive(lws* wsi, void* user, const char* in, size_t len) {
  auto* pss = static_cast<PerSession*>(user);
  auto it = pss == nullptr ? conns_.end() : conns_.find(pss->id);
  if (it == conns_.end()) return -1;
  Conn& c = it->second;
  if (!c.in_message) {
    c.rx.clear();
    c.rx_binary = lws_frame_is_binary(wsi) != 0;
    c.in_message = true;
  }
  if (c.rx.size() + len > kMaxClientMessageBytes) {
    wsd_metrics_.dropped_protocol.Increment();
    LOG_INFO << "closing client " << pss->id << ": message larger than " << kMaxClientMessageBytes
             << " bytes";
    static const char kReason[] = "message too big";
    lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                     reinterpret_cast<unsigned char*>(const_cast<char*>(kReason)),
                     sizeof kReason - 1);
    return -1;
  }
  c.rx.append(in, len);
  if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0) return 0;
  c.in_message = false;
  std::string text;
  text.swap(c.rx);
  HandleClientMessage(pss->id, text, c.rx_binary);
  ApplyActions();
  return 0;
}

void Server::HandleClientMessage(SessionId id, const std::string& text, bool binary) {
  ClientSession* s = fanout_.Find(id);
  if (s == nullptr) return;
  if (binary) {
    Fanout::Record(id,
                   s->SendControl(BuildError("bad_message", "binary messages are not supported")),
                   &actions_);
    return;
  }
  ClientCommand cmd;
  std::string error;
  if (!ParseClientCommand(text, &cmd, &error)) {
    Fanout::Record(id, s->SendControl(BuildError("bad_message", error)), &actions_);
    return;
  }
  switch (cmd.type) {
    case ClientCommandType::kSubscribe:
      s->SetSubscription(cmd.types);
      break;
    case ClientCommandType::kPing:
      Fanout::Record(id, s->SendControl(BuildPong(clock_.WallNow())), &actions_);
      break;
    case ClientCommandType::kResume:
      StartResume(id, s, cmd.last_event_id);
      break;
    case ClientCommandType::kSnapshot:
      StartSnapshot(id, s);
      break;
  }
}

bool Server::WantsSnapshot(lws* wsi) {
  // A fresh connection gets a snapshot unless it asks for none with ?snapshot=0.
  char arg[16];
  const char* v = lws_get_urlarg_by_name(wsi, "snapshot=", arg, sizeof arg);
  return v == nullptr || std::strcmp(v, "0") != 0;
}

void Server::StartSnapshot(SessionId id, ClientSession* session) {
  // It rides the resume path: live events are held from now on, the backfill thread reads a
  // snapshot and the events after its id, and OnBackfill sends the snapshot, then the stored
  // and held events merged by id.
  uint64_t generation = 0;
  if (!session->BeginResume(&generation)) {
    Fanout::Record(id,
                   session->SendControl(BuildError(
                       "bad_message", "a resume or snapshot is already in progress")),
                   &actions_);
    return;
  }
  BackfillRequest request;
  request.session = id;
  request.generation = generation;
  request.snapshot = true;
  backfills_.Request(request);
}

void Server::StartResume(SessionId id, ClientSession* session, const StreamId& after) {
  uint64_t generation = 0;
  if (!session->BeginResume(&generation)) {
    Fanout::Record(
        id, session->SendControl(BuildError("bad_message", "a resume is already in progress")),
        &actions_);
    return;
  }
  backfills_.Request(BackfillRequest{id, generation, after});
}

int Server::OnWriteable(lws* wsi, void* user) {
  auto* pss = static_cast<PerSession*>(user);
  auto it = pss == nullptr ? conns_.end() : conns_.find(pss->id);
  ClientSession* s = pss == nullptr ? nullptr : fanout_.Find(pss->id);
  if (it == conns_.end() || s == nullptr) return -1;
  if (const auto& close = s->close_request()) {
    std::string reason = close->reason.substr(0, 120);  // a close frame holds at most 123 bytes
    lws_close_reason(wsi, static_cast<lws_close_status>(close->code),
                     reinterpret_cast<unsigned char*>(reason.data()), reason.size());
    return -1;
  }
  if (it->second.write_failed) return -1;
  if (WriteQueued(pss->id, it->second, s) < 0) return -1;
  if (s->HasOutbound()) lws_callback_on_writable(wsi);
  return 0;
}

int Server::WriteQueued(SessionId id, Conn& c, ClientSession* s) {
  if (!s->HasOutbound()) return 0;
  // Every queued message, framed here, in one raw write (up to kMaxWriteBytes): one syscall
  // however many events a client is behind. lws keeps whatever the socket does not take and
  // sends it before anything else.
  tx_scratch_.resize(LWS_PRE);
  size_t messages = 0;
  while (s->HasOutbound() && (messages == 0 || tx_scratch_.size() < LWS_PRE + kMaxWriteBytes)) {
    Message m = s->PopOutbound();
    const std::string* z = c.deflate ? deflate_.Get(m) : nullptr;
    AppendTextFrame(&tx_scratch_, z != nullptr ? *z : *m, z != nullptr);
    ++messages;
  }
  const size_t total = tx_scratch_.size() - LWS_PRE;
  int n = lws_write(c.wsi, tx_scratch_.data() + LWS_PRE, total, LWS_WRITE_RAW);
  if (n < static_cast<int>(total)) {
    LOG_INFO << "write to client " << id << " failed; closing it";
    return -1;
  }
  wsd_metrics_.messages_sent.Increment(static_cast<double>(messages));
  return 0;
}

void Server::OnClosed(void* user) {
  auto* pss = static_cast<PerSession*>(user);
  if (pss == nullptr || pss->id == 0) return;
  if (auto c = conns_.find(pss->id); c != conns_.end()) mask_guards::Unwatch(c->second.fd);
  if (auto c = conns_.find(pss->id); c != conns_.end() && c->second.principal) {
    // Access: release the caps and the credential.
    const AccessPrincipal& p = *c->second.principal;
    caps_.Remove(p, c->second.address);
    access_.registry->Remove(p);
    auto ids = by_credential_.find(RegistryKey(p));
    if (ids != by_credential_.end()) {
      ids->second.erase(pss->id);
      if (ids->second.empty()) by_credential_.erase(ids);
    }
  }
  fanout_.Remove(pss->id);
  conns_.erase(pss->id);
  wsd_metrics_.connections.Set(static_cast<double>(conns_.size()));
  LOG_DEBUG << "client " << pss->id << " closed (" << conns_.size() << " left)";
  pss->id = 0;
}

void Server::OnWaitCancelled() {
  ring_scratch_.clear();
  ring_.Drain(&ring_scratch_);
  for (RingItem& item : ring_scratch_) {
    switch (item.kind) {
      case RingItem::Kind::kEvent:
        fanout_.Broadcast(item.event, &actions_);
        break;
      case RingItem::Kind::kHead:
        if (item.head && (!fanout_.head() || *item.head > *fanout_.head())) {
          fanout_.set_head(item.head);
        }
        break;
      case RingItem::Kind::kReset:
        fanout_.StreamReset(item.head, &actions_);
        break;
    }
  }
  ring_scratch_.clear();
  reply_scratch_.clear();
  backfills_.DrainReplies(&reply_scratch_);
  for (const BackfillReply& r : reply_scratch_) {
    if (ClientSession* s = fanout_.Find(r.session)) {
      LOG_DEBUG << "client " << r.session << " resumes with " << r.backfill.events.size()
                << " stored event(s)" << (r.backfill.resync ? " after a resync" : "") << "; "
                << s->queued() << " message(s) queued";
      Fanout::Record(r.session, s->OnBackfill(r.generation, r.backfill), &actions_);
    }
  }
  reply_scratch_.clear();
  if (samples_ != nullptr) {
    sample_scratch_.clear();
    samples_->Drain(&sample_scratch_);
    for (const LiveSample& sample : sample_scratch_) fanout_.BroadcastSample(sample, &actions_);
    sample_scratch_.clear();
  }
  DrainRevocations();
  ApplyActions();
}

void Server::ApplyActions() {
  for (SessionId id : actions_.dropped) {
    wsd_metrics_.dropped_slow.Increment();
    LOG_WARN << "dropping slow client " << id << ": more than " << options_.client_queue
             << " messages queued";
  }
  auto wake = [this](SessionId id) {
    auto it = conns_.find(id);
    if (it != conns_.end()) lws_callback_on_writable(it->second.wsi);
  };
  // A client whose socket has nothing pending is written to at once: one send() per client
  // per batch of events, instead of arming POLLOUT, waiting for it and disarming it again
  // (three more syscalls each). A client with a partial write pending, or more queued than
  // one write takes, continues from its writable callback, where lws flushes first.
  for (SessionId id : actions_.writable) {
    auto it = conns_.find(id);
    ClientSession* s = fanout_.Find(id);
    if (it == conns_.end() || s == nullptr) continue;
    Conn& c = it->second;
    if (c.write_failed || s->close_request() || lws_partial_buffered(c.wsi) != 0) {
      lws_callback_on_writable(c.wsi);
      continue;
    }
    if (WriteQueued(id, c, s) < 0) {
      c.write_failed = true;  // closed from its writable callback
      lws_callback_on_writable(c.wsi);
    } else if (s->HasOutbound() || lws_partial_buffered(c.wsi) != 0) {
      lws_callback_on_writable(c.wsi);
    }
  }
  for (SessionId id : actions_.dropped) wake(id);
  actions_.Clear();
}

void Server::CloseAll(int code, const std::string& reason) {
  for (SessionId id : fanout_.Ids()) {
    if (ClientSession* s = fanout_.Find(id)) s->RequestClose(code, reason);
    auto it = conns_.find(id);
    if (it != conns_.end()) lws_callback_on_writable(it->second.wsi);
  }
}

int Server::OnHttp(lws* wsi, const char* uri) {
  char* uri_ptr = nullptr;
  int uri_len = 0;
  int method = lws_http_get_uri_and_method(wsi, &uri_ptr, &uri_len);
  const std::string path = uri == nullptr ? "" : uri;
  const std::string method_name = MethodName(method);
  HttpResponse r = RouteHttp(method_name, path, http_sources_);
  const bool head = method == LWSHUMETH_HEAD;
  const bool close = method != LWSHUMETH_GET && !head;

  unsigned char buf[LWS_PRE + 1024];
  unsigned char* start = buf + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buf + sizeof buf - 1;
  if (lws_add_http_common_headers(wsi, static_cast<unsigned int>(r.status), r.content_type.c_str(),
                                  r.body.size(), &p, end) ||
      lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("cache-control:"),
                                  reinterpret_cast<const unsigned char*>("no-store"), 8, &p, end) ||
      lws_finalize_write_http_header(wsi, start, &p, end)) {
    return 1;
  }
  if (head || r.body.empty()) return lws_http_transaction_completed(wsi) ? -1 : 0;
  http_pending_[wsi] = PendingHttp{std::move(r.body), close};
  // With a Content-Length body, answer once lws has read it (HTTP_BODY_COMPLETION).
  char length[24] = "";
  bool has_body = lws_hdr_copy(wsi, length, sizeof length, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
                  std::strcmp(length, "0") != 0;
  if (!has_body) lws_callback_on_writable(wsi);
  return 0;
}

int Server::OnHttpWriteable(lws* wsi) {
  auto it = http_pending_.find(wsi);
  if (it == http_pending_.end()) return 0;
  PendingHttp pending = std::move(it->second);
  http_pending_.erase(it);
  std::vector<unsigned char> buf(LWS_PRE + pending.body.size());
  std::memcpy(buf.data() + LWS_PRE, pending.body.data(), pending.body.size());
  int n = lws_write(wsi, buf.data() + LWS_PRE, pending.body.size(), LWS_WRITE_HTTP_FINAL);
  if (n < static_cast<int>(pending.body.size())) return -1;
  if (pending.close) return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

}  // namespace sattva::wsd
