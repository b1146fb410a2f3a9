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
  } else {
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

int Server::OnFilter(lws* wsi, void* user) {
  // OnConfirmUpgrade already answered wrong paths and a full server; this is the last guard.
  char uri[256];
  int n = lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
  if (n <= 0 || std::strcmp(uri, kStatsPath) != 0) return 1;
  if (stopping_ || conns_.size() >= options_.max_clients) return 1;
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
  wsd_metrics_.connections.Set(static_cast<double>(conns_.size()));
  ClientSession* s = fanout_.Find(id);
  Fanout::Record(id, s->SendControl(BuildHello(clock_.WallNow(), fanout_.head())), &actions_);
  if (pss->bad_resume) {
    Fanout::Record(id,
                   s->SendControl(BuildError(
                       "bad_message", "last_event_id is not an event id (expected <ms>-<seq>)")),
                   &actions_);
  } else if (pss->has_resume) {
    StartResume(id, s, StreamId{pss->resume_ms, pss->resume_seq});
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
  }
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
  Message m = s->PopOutbound();
  if (!m) return 0;
  if (tx_scratch_.size() < LWS_PRE + m->size()) tx_scratch_.resize(LWS_PRE + m->size());
  std::memcpy(tx_scratch_.data() + LWS_PRE, m->data(), m->size());
  int n = lws_write(wsi, tx_scratch_.data() + LWS_PRE, m->size(), LWS_WRITE_TEXT);
  if (n < static_cast<int>(m->size())) {
    LOG_INFO << "write to client " << pss->id << " failed; closing it";
    return -1;
  }
  wsd_metrics_.messages_sent.Increment();
  if (s->HasOutbound()) lws_callback_on_writable(wsi);
  return 0;
}

void Server::OnClosed(void* user) {
  auto* pss = static_cast<PerSession*>(user);
  if (pss == nullptr || pss->id == 0) return;
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
  for (SessionId id : actions_.writable) wake(id);
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
