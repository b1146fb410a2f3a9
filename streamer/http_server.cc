#include "streamer/http_server.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <json/json.h>

#include "common/json.h"
#include "common/log.h"

namespace sattva::streamer {

namespace {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

constexpr size_t kMaxHeadBytes = 8192;
constexpr size_t kMaxIov = 64;                 // slices per sendmsg (IOV_MAX is 1024)
constexpr size_t kMaxWriteBytes = 256 * 1024;  // body bytes offered per sendmsg
constexpr int kMaxEvents = 256;
constexpr uint64_t kListenId = 1;
constexpr uint64_t kWakeId = 2;
constexpr uint64_t kFirstConnId = 16;
constexpr std::chrono::milliseconds kAcceptPause(100);
constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kJsonContentType = "application/json; charset=utf-8";

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  ~Fd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

std::string BuildResponse(int status, const char* content_type, const std::string& body,
                          bool head_only, const char* extra_headers = "") {
  std::string r;
  r.reserve(256 + (head_only ? 0 : body.size()));
  r += "HTTP/1.1 ";
  r += std::to_string(status);
  r += ' ';
  r += ReasonPhrase(status);
  r += "\r\nContent-Type: ";
  r += content_type;
  r += "\r\nContent-Length: ";
  r += std::to_string(body.size());
  r += "\r\nCache-Control: no-store\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n";
  r += extra_headers;
  r += "\r\n";
  if (!head_only) r += body;
  return r;
}

std::string ErrorResponse(int status, const char* code, const std::string& message, bool head_only,
                          const char* extra_headers = "") {
  Json::Value v(Json::objectValue);
  v["error"]["code"] = code;
  v["error"]["message"] = message;
  return BuildResponse(status, kJsonContentType, common::WriteJson(v), head_only, extra_headers);
}

std::string LiveHead(LiveFormat format) {
  std::string r = "HTTP/1.1 200 OK\r\nContent-Type: ";
  r += ContentType(format);
  r += "\r\nCache-Control: no-cache, no-store\r\nConnection: close\r\n"
       "X-Content-Type-Options: nosniff\r\n\r\n";
  return r;
}

bool IsTchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool IsCtl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The end of the request head (just past its empty line) in buf, searching from `from`, or 0.
// Lines end in CRLF or a bare LF.
size_t FindHeadEnd(const std::string& buf, size_t from) {
  for (size_t i = from; i < buf.size(); ++i) {
    if (buf[i] != '\n') continue;
    if (i + 1 < buf.size() && buf[i + 1] == '\n') return i + 2;
    if (i + 2 < buf.size() && buf[i + 1] == '\r' && buf[i + 2] == '\n') return i + 3;
  }
  return 0;
}

struct Request {
  std::string method;
  std::string target;
  bool has_body = false;
};

// Parses a request head (request line, header lines, the empty line). Returns false and sets
// *error on anything malformed.
bool ParseRequestHead(std::string_view head, Request* req, std::string* error) {
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    size_t nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) {
    *error = "empty request";
    return false;
  }
  const std::string_view line = lines[0];
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    *error = "malformed request line";
    return false;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (method.empty() || !std::all_of(method.begin(), method.end(), IsTchar)) {
    *error = "malformed method";
    return false;
  }
  if (target.empty() || target[0] != '/' || std::any_of(target.begin(), target.end(), IsCtl)) {
    *error = "malformed request target";
    return false;
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    *error = "unsupported HTTP version";
    return false;
  }
  req->method = std::string(method);
  req->target = std::string(target);
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view h = lines[i];
    const size_t colon = h.find(':');
    if (colon == 0 || colon == std::string_view::npos ||
        !std::all_of(h.begin(), h.begin() + colon, IsTchar)) {
      *error = "malformed header line";
      return false;
    }
    const std::string_view name = h.substr(0, colon);
    const std::string_view value = TrimOws(h.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) { return IsCtl(c) && c != '\t'; })) {
      *error = "malformed header value";
      return false;
    }
    if (EqualsIgnoreCase(name, "transfer-encoding")) {
      req->has_body = true;
    } else if (EqualsIgnoreCase(name, "content-length")) {
      if (value.empty() ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        *error = "malformed Content-Length";
        return false;
      }
      if (value.find_first_not_of('0') != std::string_view::npos) req->has_body = true;
    }
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

class HttpServer::Impl : public Broadcast::Observer {
 public:
  Impl(std::string host, int port, MountRegistry& mounts, Options options)
      : host_(std::move(host)), port_(port), mounts_(mounts), options_(options) {
    if (options_.max_connections <= 0) options_.max_connections = options_.max_listeners + 256;
  }
  ~Impl() override { Stop(); }

  bool Start(std::string* error);
  void Stop();
  int port() const { return port_.load(); }
  void SetMetricsHandler(std::function<std::string()> handler) {
    std::lock_guard<std::mutex> lock(metrics_mu_);
    metrics_handler_ = std::move(handler);
  }
  int64_t listeners() const { return listeners_.load(); }
  int64_t connections() const { return connections_.load(); }

  // Broadcast::Observer: a producer thread, with the broadcast's lock held.
  void OnBroadcastUpdate(Broadcast* broadcast) override;

 private:
  enum class State {
    kRequest,     // reading the request head
    kStreaming,   // a live listener
    kResponding,  // writing a complete answer (`out`)
    kLinger,      // answered and shut down for writing: discarding input until the client closes
  };
  enum class CloseHow { kGraceful, kAbort };

  struct Conn {
    uint64_t id = 0;
    Fd fd;
    State state = State::kRequest;
    uint32_t events = 0;                    // the epoll mask registered
    TimePoint deadline = TimePoint::max();  // in timers_ unless max()
    std::string in;                         // the request head so far
    std::string out;                        // response bytes to write first
    size_t out_off = 0;
    // Listener.
    std::shared_ptr<LiveSink> sink;
    LiveFormat format = LiveFormat::kOggOpus;
    Broadcast* broadcast = nullptr;
    Broadcast::Cursor cursor;
    size_t group_index = 0;
  };

  // The listeners of one broadcast on this server.
  struct Group {
    std::shared_ptr<LiveSink> sink;  // keeps the broadcast alive while it is observed
    std::vector<Conn*> conns;
  };

  void Run();
  void Cleanup();
  void Accept(TimePoint now);
  void OnConnEvent(Conn* c, uint32_t events, TimePoint now);
  void ReadRequest(Conn* c, TimePoint now);
  void HandleRequest(Conn* c, const std::string& head, TimePoint now);
  void StartListener(Conn* c, std::shared_ptr<LiveSink> sink, LiveFormat format, TimePoint now);
  void WriteListener(Conn* c, TimePoint now);
  void Respond(Conn* c, std::string response, TimePoint now);
  void WriteResponse(Conn* c, TimePoint now);
  void BeginLinger(Conn* c, TimePoint now);
  void DrainLinger(Conn* c, bool peer_closed);
  void ProcessDirty(TimePoint now);
  void RunTimers(TimePoint now);
  int TimeoutMs(TimePoint now) const;
  void LeaveListener(Conn* c, bool dropped_slow);
  void CloseConn(Conn* c, CloseHow how, bool dropped_slow = false);
  void SetEvents(Conn* c, uint32_t events);
  void SetDeadline(Conn* c, TimePoint deadline);
  Conn* FindConn(uint64_t id);

  const std::string host_;
  std::atomic<int> port_;
  MountRegistry& mounts_;
  Options options_;

  std::mutex metrics_mu_;
  std::function<std::string()> metrics_handler_;  // guarded by metrics_mu_

  std::mutex dirty_mu_;
  std::vector<Broadcast*> dirty_;  // guarded by dirty_mu_

  std::atomic<bool> stop_{false};
  std::atomic<int64_t> listeners_{0};
  std::atomic<int64_t> connections_{0};
  bool started_ = false;
  Fd listen_fd_;
  Fd epoll_fd_;
  Fd wake_fd_;
  std::thread thread_;

  // Server thread only.
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  std::unordered_map<Broadcast*, Group> groups_;
  std::set<std::pair<TimePoint, uint64_t>> timers_;
  uint64_t next_id_ = kFirstConnId;
  TimePoint accept_resume_ = TimePoint::max();  // accepting is paused until then
  std::vector<Broadcast*> dirty_scratch_;
  std::vector<uint64_t> ids_scratch_;
  std::vector<Broadcast::Slice> slices_;
};

bool HttpServer::Impl::Start(std::string* error) {
  if (started_) {
    *error = "already started";
    return false;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string host = host_.empty() ? "0.0.0.0" : host_;
  const std::string port = std::to_string(port_.load());
  int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    *error = "bad listen address " + host + ": " + ::gai_strerror(rc);
    return false;
  }
  Fd fd;
  std::string why = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    Fd s(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!s.valid()) {
      why = "socket: " + ErrnoText(errno);
      continue;
    }
    int one = 1;
    ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(s.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      why = "bind: " + ErrnoText(errno);
      continue;
    }
    if (::listen(s.get(), 511) != 0) {
      why = "listen: " + ErrnoText(errno);
      continue;
    }
    fd = std::move(s);
    break;
  }
  ::freeaddrinfo(res);
  if (!fd.valid()) {
    *error = "cannot listen on " + host + ":" + port + ": " + why;
    return false;
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    if (addr.ss_family == AF_INET) {
      port_ = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      port_ = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    }
  }
  Fd ep(::epoll_create1(EPOLL_CLOEXEC));
  Fd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!ep.valid() || !wake.valid()) {
    *error = "epoll/eventfd: " + ErrnoText(errno);
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenId;
  if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd.get(), &ev) != 0) {
    *error = "epoll_ctl: " + ErrnoText(errno);
    return false;
  }
  ev.data.u64 = kWakeId;
  if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, wake.get(), &ev) != 0) {
    *error = "epoll_ctl: " + ErrnoText(errno);
    return false;
  }
  listen_fd_ = std::move(fd);
  epoll_fd_ = std::move(ep);
  wake_fd_ = std::move(wake);
  started_ = true;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
  LOG_INFO << "live http listening on " << host << ":" << port_.load();
  return true;
}

void HttpServer::Impl::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_.get(), &one, sizeof one);
  thread_.join();
  listen_fd_.Reset();
  epoll_fd_.Reset();
  wake_fd_.Reset();
}

void HttpServer::Impl::OnBroadcastUpdate(Broadcast* broadcast) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(dirty_mu_);
    if (std::find(dirty_.begin(), dirty_.end(), broadcast) != dirty_.end()) return;
    wake = dirty_.empty();
    dirty_.push_back(broadcast);
  }
  if (wake) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_.get(), &one, sizeof one);
  }
}

void HttpServer::Impl::Run() {
  epoll_event events[kMaxEvents];
  while (!stop_.load()) {
    const int timeout = TimeoutMs(SteadyClock::now());
    const int n = ::epoll_wait(epoll_fd_.get(), events, kMaxEvents, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      LOG_ERROR << "live http: epoll_wait: " << ErrnoText(errno);
      break;
    }
    const TimePoint now = SteadyClock::now();
    for (int i = 0; i < n && !stop_.load(); ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kWakeId) {
        uint64_t v;
        [[maybe_unused]] ssize_t r = ::read(wake_fd_.get(), &v, sizeof v);
        ProcessDirty(now);
      } else if (id == kListenId) {
        Accept(now);
      } else if (Conn* c = FindConn(id)) {
        OnConnEvent(c, events[i].events, now);
      }
    }
    RunTimers(SteadyClock::now());
  }
  Cleanup();
}

void HttpServer::Impl::Cleanup() {
  std::vector<uint64_t> ids;
  ids.reserve(conns_.size());
  for (const auto& [id, c] : conns_) ids.push_back(id);
  for (uint64_t id : ids) {
    if (Conn* c = FindConn(id)) CloseConn(c, CloseHow::kGraceful);
  }
  timers_.clear();
  std::lock_guard<std::mutex> lock(dirty_mu_);
  dirty_.clear();
}

int HttpServer::Impl::TimeoutMs(TimePoint now) const {
  TimePoint next = accept_resume_;
  if (!timers_.empty()) next = std::min(next, timers_.begin()->first);
  if (next == TimePoint::max()) return -1;
  if (next <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
  return static_cast<int>(std::min<int64_t>(ms, 60000));
}

HttpServer::Impl::Conn* HttpServer::Impl::FindConn(uint64_t id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.get();
}

void HttpServer::Impl::SetEvents(Conn* c, uint32_t events) {
  if (c->events == events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = c->id;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, c->fd.get(), &ev) == 0) c->events = events;
}

void HttpServer::Impl::SetDeadline(Conn* c, TimePoint deadline) {
  if (c->deadline == deadline) return;
  if (c->deadline != TimePoint::max()) timers_.erase({c->deadline, c->id});
  c->deadline = deadline;
  if (deadline != TimePoint::max()) timers_.insert({deadline, c->id});
}

void HttpServer::Impl::Accept(TimePoint now) {
  for (;;) {
    Fd fd(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;
      // Out of descriptors or memory: stop accepting for a moment instead of spinning.
      LOG_WARN << "live http: accept: " << ErrnoText(err);
      epoll_event ev{};
      ev.data.u64 = kListenId;
      ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, listen_fd_.get(), &ev);
      accept_resume_ = now + kAcceptPause;
      return;
    }
    if (static_cast<int64_t>(conns_.size()) >= options_.max_connections) {
      linger lg{1, 0};
      ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      continue;  // reset at once
    }
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (options_.send_buffer_bytes > 0) {
      ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &options_.send_buffer_bytes,
                   sizeof options_.send_buffer_bytes);
    }
    auto c = std::make_unique<Conn>();
    c->id = next_id_++;
    c->events = EPOLLIN | EPOLLRDHUP;
    epoll_event ev{};
    ev.events = c->events;
    ev.data.u64 = c->id;
    if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd.get(), &ev) != 0) {
      LOG_WARN << "live http: epoll_ctl: " << ErrnoText(errno);
      continue;
    }
    c->fd = std::move(fd);
    Conn* raw = c.get();
    conns_.emplace(raw->id, std::move(c));
    connections_.store(static_cast<int64_t>(conns_.size()));
    SetDeadline(raw, now + std::chrono::milliseconds(options_.header_timeout_ms));
  }
}

void HttpServer::Impl::OnConnEvent(Conn* c, uint32_t events, TimePoint now) {
  switch (c->state) {
    case State::kRequest:
      if (events & (EPOLLIN | EPOLLRDHUP)) {
        ReadRequest(c, now);
      } else if (events & (EPOLLERR | EPOLLHUP)) {
        CloseConn(c, CloseHow::kGraceful);
      }
      return;
    case State::kStreaming:
      if (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
        CloseConn(c, CloseHow::kAbort);  // the listener went
      } else if (events & EPOLLOUT) {
        WriteListener(c, now);
      }
      return;
    case State::kResponding:
      if (events & (EPOLLERR | EPOLLHUP)) {
        CloseConn(c, CloseHow::kAbort);
      } else if (events & EPOLLOUT) {
        WriteResponse(c, now);
      }
      return;
    case State::kLinger:
      if (events & (EPOLLERR | EPOLLHUP)) {
        CloseConn(c, CloseHow::kGraceful);
      } else {
        DrainLinger(c, (events & EPOLLRDHUP) != 0);
      }
      return;
  }
}

void HttpServer::Impl::ReadRequest(Conn* c, TimePoint now) {
  char buf[4096];
  for (;;) {
    const size_t room = kMaxHeadBytes + 1 - c->in.size();
    const ssize_t n = ::recv(c->fd.get(), buf, std::min(room, sizeof buf), 0);
    if (n > 0) {
      const size_t old = c->in.size();
      c->in.append(buf, static_cast<size_t>(n));
      const size_t end = FindHeadEnd(c->in, old >= 2 ? old - 2 : 0);
      if (end != 0 && end <= kMaxHeadBytes) {
        c->in.resize(end);  // anything after the head is ignored
        std::string head;
        head.swap(c->in);
        HandleRequest(c, head, now);
        return;
      }
      if (c->in.size() > kMaxHeadBytes) {
        Respond(c, ErrorResponse(400, "bad_request", "request head over 8 KiB", false), now);
        return;
      }
      continue;
    }
    if (n == 0) {
      CloseConn(c, CloseHow::kGraceful);  // gone before finishing its request
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) CloseConn(c, CloseHow::kAbort);
    return;
  }
}

void HttpServer::Impl::HandleRequest(Conn* c, const std::string& head, TimePoint now) {
  Request req;
  std::string error;
  if (!ParseRequestHead(head, &req, &error)) {
    Respond(c, ErrorResponse(400, "bad_request", error, false), now);
    return;
  }
  const bool head_only = req.method == "HEAD";
  if (req.method != "GET" && !head_only) {
    Respond(c,
            ErrorResponse(405, "method_not_allowed", "only GET and HEAD are allowed", false,
                          "Allow: GET, HEAD\r\n"),
            now);
    return;
  }
  if (req.has_body) {
    Respond(c, ErrorResponse(400, "bad_request", "request bodies are not accepted", head_only),
            now);
    return;
  }
  std::string_view path = req.target;
  path = path.substr(0, path.find_first_of("?#"));
  if (path == "/healthz") {
    Respond(c, BuildResponse(200, kJsonContentType, "{\"status\":\"ok\"}", head_only), now);
    return;
  }
  if (path == "/metrics") {
    std::function<std::string()> handler;
    {
      std::lock_guard<std::mutex> lock(metrics_mu_);
      handler = metrics_handler_;
    }
    if (!handler) {
      Respond(c, ErrorResponse(404, "not_found", "no metrics here", head_only), now);
      return;
    }
    Respond(c, BuildResponse(200, kMetricsContentType, handler(), head_only), now);
    return;
  }
  constexpr std::string_view kLivePrefix = "/live/";
  if (path.substr(0, kLivePrefix.size()) != kLivePrefix) {
    Respond(c, ErrorResponse(404, "not_found", "no such resource", head_only), now);
    return;
  }
  std::string_view name = path.substr(kLivePrefix.size());
  LiveFormat format = LiveFormat::kOggOpus;
  auto ends_with = [&name](std::string_view suffix) {
    return name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends_with(".ogg")) {
    name.remove_suffix(4);
  } else if (ends_with(".mp3")) {
    name.remove_suffix(4);
    format = LiveFormat::kMp3;
  }
  const std::string slug(name);
  if (!IsValidMountSlug(slug)) {
    Respond(c, ErrorResponse(404, "not_found", "no such stream", head_only), now);
    return;
  }
  std::shared_ptr<LiveSink> sink = mounts_.Find(slug);
  if (!sink || sink->ended()) {
    Respond(c, ErrorResponse(404, "not_found", "no live stream '" + slug + "' here", head_only),
            now);
    return;
  }
  if (head_only) {
    Respond(c, LiveHead(format), now);
    return;
  }
  if (listeners_.load() >= options_.max_listeners) {
    Respond(c,
            ErrorResponse(503, "too_many_listeners", "too many listeners; try again later", false),
            now);
    return;
  }
  StartListener(c, std::move(sink), format, now);
}

void HttpServer::Impl::StartListener(Conn* c, std::shared_ptr<LiveSink> sink, LiveFormat format,
                                     TimePoint now) {
  c->state = State::kStreaming;
  c->out = LiveHead(format);
  c->out_off = 0;
  c->format = format;
  c->broadcast = &sink->broadcast(format);
  c->cursor = sink->Join(format, options_.burst_ms);
  listeners_.fetch_add(1);
  Group& g = groups_[c->broadcast];
  if (g.conns.empty()) {
    g.sink = sink;
    c->broadcast->AddObserver(this);
  }
  c->group_index = g.conns.size();
  g.conns.push_back(c);
  c->sink = std::move(sink);
  SetDeadline(c, TimePoint::max());
  SetEvents(c, EPOLLRDHUP);
  WriteListener(c, now);
}

void HttpServer::Impl::WriteListener(Conn* c, TimePoint now) {
  slices_.clear();
  const Broadcast::ReadResult result =
      c->broadcast->Read(&c->cursor, kMaxIov - 1, kMaxWriteBytes, &slices_);
  if (result == Broadcast::ReadResult::kTooSlow) {
    slices_.clear();
    LOG_INFO << "live " << c->sink->slug() << "." << FormatName(c->format)
             << ": dropped a slow listener";
    CloseConn(c, CloseHow::kAbort, /*dropped_slow=*/true);
    return;
  }
  iovec iov[kMaxIov];
  size_t niov = 0;
  size_t head_bytes = 0;
  if (c->out_off < c->out.size()) {
    head_bytes = c->out.size() - c->out_off;
    iov[niov++] = iovec{const_cast<char*>(c->out.data() + c->out_off), head_bytes};
  }
  size_t body_bytes = 0;
  for (const Broadcast::Slice& s : slices_) {
    if (s.size() == 0) continue;
    iov[niov++] = iovec{const_cast<char*>(s.begin()), s.size()};
    body_bytes += s.size();
  }
  const bool truncated = slices_.size() >= kMaxIov - 1 || body_bytes >= kMaxWriteBytes;
  if (niov == 0) {
    slices_.clear();
    if (result == Broadcast::ReadResult::kEnd) {
      BeginLinger(c, now);
    } else {
      SetEvents(c, EPOLLRDHUP);  // caught up: wait for the next publish
      SetDeadline(c, TimePoint::max());
    }
    return;
  }
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = niov;
  const ssize_t n = ::sendmsg(c->fd.get(), &msg, MSG_NOSIGNAL);
  if (n < 0) {
    const int err = errno;
    slices_.clear();
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
      if (!(c->events & EPOLLOUT)) {
        SetEvents(c, EPOLLRDHUP | EPOLLOUT);
        SetDeadline(c, now + std::chrono::milliseconds(options_.stall_timeout_ms));
      }
      return;
    }
    CloseConn(c, CloseHow::kAbort);  // EPIPE, ECONNRESET...: the listener went
    return;
  }
  size_t written = static_cast<size_t>(n);
  const size_t from_head = std::min(written, head_bytes);
  c->out_off += from_head;
  if (c->out_off >= c->out.size() && !c->out.empty()) {
    std::string().swap(c->out);
    c->out_off = 0;
  }
  const size_t body_written = written - from_head;
  if (body_written > 0) {
    c->broadcast->AddBytesSent(body_written);
    Broadcast::Advance(slices_, body_written, &c->cursor);
  }
  slices_.clear();
  if (written == head_bytes + body_bytes) {
    if (result == Broadcast::ReadResult::kEnd) {
      BeginLinger(c, now);
      return;
    }
    if (!truncated) {
      SetEvents(c, EPOLLRDHUP);
      SetDeadline(c, TimePoint::max());
      return;
    }
  }
  // More to write: EPOLLOUT (level-triggered) brings us back as soon as there is room.
  SetEvents(c, EPOLLRDHUP | EPOLLOUT);
  SetDeadline(c, now + std::chrono::milliseconds(options_.stall_timeout_ms));
}

void HttpServer::Impl::Respond(Conn* c, std::string response, TimePoint now) {
  c->state = State::kResponding;
  std::string().swap(c->in);
  c->out = std::move(response);
  c->out_off = 0;
  SetDeadline(c, now + std::chrono::milliseconds(options_.linger_ms));
  WriteResponse(c, now);
}

void HttpServer::Impl::WriteResponse(Conn* c, TimePoint now) {
  while (c->out_off < c->out.size()) {
    const ssize_t n =
        ::send(c->fd.get(), c->out.data() + c->out_off, c->out.size() - c->out_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        SetEvents(c, EPOLLOUT);
        return;
      }
      CloseConn(c, CloseHow::kAbort);
      return;
    }
    c->out_off += static_cast<size_t>(n);
  }
  BeginLinger(c, now);
}

void HttpServer::Impl::BeginLinger(Conn* c, TimePoint now) {
  if (c->state == State::kStreaming) LeaveListener(c, false);
  std::string().swap(c->out);
  c->out_off = 0;
  c->state = State::kLinger;
  ::shutdown(c->fd.get(), SHUT_WR);
  SetEvents(c, EPOLLIN | EPOLLRDHUP);
  SetDeadline(c, now + std::chrono::milliseconds(options_.linger_ms));
}

void HttpServer::Impl::DrainLinger(Conn* c, bool peer_closed) {
  char buf[16384];
  for (int i = 0; i < 16; ++i) {
    const ssize_t n = ::recv(c->fd.get(), buf, sizeof buf, 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !peer_closed) return;
    CloseConn(c, CloseHow::kGraceful);  // EOF, an error, or the peer closed and nothing is left
    return;
  }
}

void HttpServer::Impl::ProcessDirty(TimePoint now) {
  dirty_scratch_.clear();
  {
    std::lock_guard<std::mutex> lock(dirty_mu_);
    dirty_scratch_.swap(dirty_);
  }
  for (Broadcast* b : dirty_scratch_) {
    auto it = groups_.find(b);
    if (it == groups_.end()) continue;  // nobody here listens (any more)
    ids_scratch_.clear();
    for (Conn* c : it->second.conns) ids_scratch_.push_back(c->id);
    for (uint64_t id : ids_scratch_) {
      Conn* c = FindConn(id);
      if (c == nullptr || c->state != State::kStreaming || c->broadcast != b) continue;
      if (c->events & EPOLLOUT) {
        // Its socket is full: EPOLLOUT continues it, unless it fell out of the ring.
        if (b->TooSlow(c->cursor)) {
          LOG_INFO << "live " << c->sink->slug() << "." << FormatName(c->format)
                   << ": dropped a slow listener";
          CloseConn(c, CloseHow::kAbort, /*dropped_slow=*/true);
        }
        continue;
      }
      WriteListener(c, now);
    }
  }
  dirty_scratch_.clear();
}

void HttpServer::Impl::RunTimers(TimePoint now) {
  if (accept_resume_ <= now) {
    accept_resume_ = TimePoint::max();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenId;
    ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, listen_fd_.get(), &ev);
  }
  while (!timers_.empty() && timers_.begin()->first <= now) {
    const uint64_t id = timers_.begin()->second;
    timers_.erase(timers_.begin());
    Conn* c = FindConn(id);
    if (c == nullptr) continue;
    c->deadline = TimePoint::max();
    switch (c->state) {
      case State::kRequest:
        Respond(
            c,
            ErrorResponse(408, "request_timeout", "the request head did not arrive in time", false),
            now);
        break;
      case State::kStreaming:
        LOG_INFO << "live " << c->sink->slug() << "." << FormatName(c->format)
                 << ": dropped a stalled listener";
        CloseConn(c, CloseHow::kAbort, /*dropped_slow=*/true);
        break;
      case State::kResponding:
        CloseConn(c, CloseHow::kAbort);
        break;
      case State::kLinger:
        CloseConn(c, CloseHow::kGraceful);
        break;
    }
  }
}

void HttpServer::Impl::LeaveListener(Conn* c, bool dropped_slow) {
  auto it = groups_.find(c->broadcast);
  if (it != groups_.end()) {
    Group& g = it->second;
    const size_t i = c->group_index;
    if (i < g.conns.size() && g.conns[i] == c) {
      g.conns[i] = g.conns.back();
      g.conns[i]->group_index = i;
      g.conns.pop_back();
    }
    if (g.conns.empty()) {
      c->broadcast->RemoveObserver(this);
      groups_.erase(it);
    }
  }
  listeners_.fetch_sub(1);
  c->sink->Leave(c->format, dropped_slow);
  c->sink.reset();
  c->broadcast = nullptr;
  c->state = State::kLinger;  // no longer a listener, whatever comes next
}

void HttpServer::Impl::CloseConn(Conn* c, CloseHow how, bool dropped_slow) {
  if (c->state == State::kStreaming) LeaveListener(c, dropped_slow);
  SetDeadline(c, TimePoint::max());
  if (how == CloseHow::kAbort) {
    // Reset: do not let the kernel keep trying to deliver what is queued to a dead or stuck
    // client.
    linger lg{1, 0};
    ::setsockopt(c->fd.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  conns_.erase(c->id);  // closes the socket, which leaves the epoll set
  connections_.store(static_cast<int64_t>(conns_.size()));
}

// ---------------------------------------------------------------------------------------------

HttpServer::HttpServer(std::string host, int port, MountRegistry& mounts, Options options)
    : impl_(std::make_unique<Impl>(std::move(host), port, mounts, options)) {}

HttpServer::~HttpServer() { Stop(); }

bool HttpServer::Start(std::string* error) { return impl_->Start(error); }
void HttpServer::Stop() { impl_->Stop(); }
int HttpServer::port() const { return impl_->port(); }
void HttpServer::SetMetricsHandler(std::function<std::string()> handler) {
  impl_->SetMetricsHandler(std::move(handler));
}
int64_t HttpServer::listeners() const { return impl_->listeners(); }
int64_t HttpServer::connections() const { return impl_->connections(); }

}  // namespace sattva::streamer
