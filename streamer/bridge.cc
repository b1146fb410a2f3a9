#include "streamer/bridge.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "common/log.h"

namespace sattva::streamer {
namespace {

using SteadyClock = std::chrono::steady_clock;

// The kernel's share of a slow connector's backlog: small, so that most of it sits in our
// queue where the oldest frames can be dropped. (Linux doubles the value.)
constexpr int kSendBufferBytes = 32 * 1024;
constexpr int kListenBacklog = 8;
// Connections flushing their last END/ERROR; beyond this the oldest is closed at once.
constexpr size_t kMaxClosing = 8;
constexpr size_t kReadChunkBytes = 16 * 1024;
// Reads per readable event, so that a chatty connection cannot starve the others.
constexpr int kMaxReadsPerEvent = 16;
constexpr int kMaxAcceptsPerEvent = 8;
constexpr auto kDropLogInterval = std::chrono::seconds(10);

std::string ErrnoText(int err) { return std::strerror(err); }

BridgeMessage Error(const std::string& code, const std::string& message) {
  BridgeError e;
  e.code = code;
  e.message = message;
  return EncodeBridgeError(e);
}

BridgeMessage End(const std::string& reason) {
  BridgeEnd e;
  e.reason = reason;
  return EncodeBridgeEnd(e);
}

BridgeTrack ToBridgeTrack(const TrackInfo& t, uint64_t frame_seq) {
  BridgeTrack b;
  b.track_id = t.track_id;
  b.item_id = t.item_id;
  b.title = t.title;
  b.artist = t.artist;
  b.duration_ms = t.duration_ms;
  b.placeholder = t.placeholder;
  b.frame_seq = frame_seq;
  b.offset = std::clamp(t.start_offset, 0, kFrameSamples - 1);
  return b;
}

int MillisUntil(SteadyClock::time_point deadline, SteadyClock::time_point now) {
  if (deadline <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

// Whether something accepts connections on the socket at `path`: true (live), false (stale:
// ECONNREFUSED), or an error in *error. The probe is non-blocking, so a live listener with a
// full backlog (EAGAIN) counts as live.
bool ProbeLive(const std::string& path, bool* live, std::string* error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  BridgeFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    *error = "socket: " + ErrnoText(errno);
    return false;
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
    *live = true;
    return true;
  }
  const int err = errno;
  if (err == EAGAIN || err == EINPROGRESS || err == EINTR) {
    *live = true;
    return true;
  }
  if (err == ECONNREFUSED || err == ENOENT) {
    *live = false;
    return true;
  }
  *error = "cannot check the existing socket " + path + ": " + ErrnoText(err);
  return false;
}

}  // namespace

struct BridgeSink::Connection {
  uint64_t id = 0;
  BridgeFd fd;
  BridgeParser parser;
  std::string client;
  // Bytes being written: for the connector, one message taken from queue_ at a time; for
  // other connections, their final END/ERROR.
  std::string out;
  size_t out_off = 0;
  size_t audio_end = 0;  // when non-zero, an AUDIO message in `out` ends at this offset
  bool got_end = false;  // an END is in `out` or was written
  bool hello_done = false;
  bool draining = false;  // the connector after OnEnd: closes once queue_ is written
  bool closing = false;   // in closing_: writes `out`, ignores input, then closes
  bool dead = false;      // the peer is gone or the socket failed: close without writing
  SteadyClock::time_point hello_deadline;
  SteadyClock::time_point close_deadline;
};

BridgeSink::BridgeSink(std::string socket_path, int64_t stream_id, std::string slug,
                       BridgeOptions options)
    : socket_path_(std::move(socket_path)),
      stream_id_(stream_id),
      slug_(std::move(slug)),
      options_(options),
      max_buffered_frames_(static_cast<size_t>(std::max(1, options.max_buffered_ms / kFrameMs))) {}

BridgeSink::~BridgeSink() { Stop(); }

bool BridgeSink::Start(std::string* error) {
  if (started_) {
    *error = "the bridge for " + slug_ + " was already started";
    return false;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path_.empty() || socket_path_.size() >= sizeof(addr.sun_path)) {
    *error = "bridge socket path is empty or longer than " +
             std::to_string(sizeof(addr.sun_path) - 1) + " bytes: " + socket_path_;
    return false;
  }
  std::memcpy(addr.sun_path, socket_path_.data(), socket_path_.size());

  const std::filesystem::path parent = std::filesystem::path(socket_path_).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      *error = "cannot create the bridge directory " + parent.string() + ": " + ec.message();
      return false;
    }
  }

  struct stat st {};
  if (::lstat(socket_path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      *error = socket_path_ + " exists and is not a socket";
      return false;
    }
    bool live = false;
    if (!ProbeLive(socket_path_, &live, error)) return false;
    if (live) {
      *error = "another process accepts connections on " + socket_path_ +
               " (is another streamer serving stream " + slug_ + "?)";
      return false;
    }
    if (::unlink(socket_path_.c_str()) != 0 && errno != ENOENT) {
      *error = "cannot remove the stale socket " + socket_path_ + ": " + ErrnoText(errno);
      return false;
    }
    LOG_INFO << "bridge " << slug_ << ": removed the stale socket " << socket_path_;
  } else if (errno != ENOENT) {
    *error = "cannot stat " + socket_path_ + ": " + ErrnoText(errno);
    return false;
  }

  BridgeFd listen_fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen_fd.valid()) {
    *error = "socket: " + ErrnoText(errno);
    return false;
  }
  if (::bind(listen_fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    *error = "cannot bind " + socket_path_ + ": " + ErrnoText(errno);
    return false;
  }
  auto fail_bound = [&](const std::string& what) {
    *error = what;
    ::unlink(socket_path_.c_str());
    return false;
  };
  if (::chmod(socket_path_.c_str(), 0660) != 0) {
    return fail_bound("cannot chmod " + socket_path_ + ": " + ErrnoText(errno));
  }
  if (::lstat(socket_path_.c_str(), &st) != 0) {
    return fail_bound("cannot stat " + socket_path_ + ": " + ErrnoText(errno));
  }
  if (::listen(listen_fd.get(), kListenBacklog) != 0) {
    return fail_bound("cannot listen on " + socket_path_ + ": " + ErrnoText(errno));
  }
  BridgeFd wake_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake_fd.valid()) return fail_bound("eventfd: " + ErrnoText(errno));

  socket_dev_ = st.st_dev;
  socket_ino_ = st.st_ino;
  listen_fd_ = std::move(listen_fd);
  wake_fd_ = std::move(wake_fd);
  wake_raw_.store(wake_fd_.get());
  try {
    thread_ = std::thread(&BridgeSink::Run, this);
  } catch (const std::system_error& e) {
    wake_raw_.store(-1);
    listen_fd_.Reset();
    return fail_bound(std::string("cannot start the bridge thread: ") + e.what());
  }
  started_ = true;
  LOG_INFO << "bridge " << slug_ << " (stream " << stream_id_ << ") listening on " << socket_path_;
  return true;
}

void BridgeSink::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  Wake();
  thread_.join();
  // Remove the socket only if it is still ours: a successor may have replaced it.
  struct stat st {};
  if (::lstat(socket_path_.c_str(), &st) == 0 && st.st_dev == socket_dev_ &&
      st.st_ino == socket_ino_) {
    ::unlink(socket_path_.c_str());
  }
  listen_fd_.Reset();
  LOG_INFO << "bridge " << slug_ << " stopped";
}

void BridgeSink::Wake() {
  const int fd = wake_raw_.load();
  if (fd < 0) return;
  const uint64_t one = 1;
  // EAGAIN means the counter is saturated: the thread is woken anyway.
  [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof(one));
}

void BridgeSink::PushLocked(ItemKind kind, std::string bytes) {
  queue_.push_back(QueuedItem{kind, std::move(bytes)});
  if (kind != ItemKind::kAudio) return;
  ++queued_audio_;
  while (queued_audio_ > max_buffered_frames_) {
    auto it = std::find_if(queue_.begin(), queue_.end(),
                           [](const QueuedItem& item) { return item.kind == ItemKind::kAudio; });
    queue_.erase(it);
    --queued_audio_;
    frames_dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

void BridgeSink::ClearQueueLocked() {
  queue_.clear();
  queued_audio_ = 0;
}

void BridgeSink::OnFrame(const PcmFrame& frame) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t seq = next_seq_++;
    if (!subscribed_) return;
    std::string bytes;
    bytes.reserve(kBridgeHeaderBytes + kBridgeAudioPayloadBytes);
    AppendBridgeAudio(seq, frame, &bytes);
    PushLocked(ItemKind::kAudio, std::move(bytes));
  }
  Wake();
}

void BridgeSink::OnTrack(const TrackInfo& track) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    track_ = ToBridgeTrack(track, next_seq_);
    if (!subscribed_) return;
    PushLocked(ItemKind::kControl, SerializeBridgeMessage(EncodeBridgeTrack(*track_)));
  }
  Wake();
}

void BridgeSink::OnEnd(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;
    ended_ = true;
    end_reason_ = reason;
    if (!subscribed_) return;
    subscribed_ = false;  // no frames follow END
    PushLocked(ItemKind::kEnd, SerializeBridgeMessage(End(reason)));
  }
  Wake();
}

int64_t BridgeSink::Listeners() const { return participants_.load(); }

void BridgeSink::SetListenersChanged(std::function<void()> callback) {
  std::lock_guard<std::mutex> lock(mu_);
  on_listeners_ = std::move(callback);
}

BridgeStats BridgeSink::Stats() const {
  BridgeStats s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.buffered_frames = queued_audio_;
    s.next_seq = next_seq_;
  }
  s.connected = connected_.load();
  s.frames_sent = frames_sent_.load();
  s.frames_dropped = frames_dropped_.load();
  s.participants = participants_.load();
  s.connections = connections_.load();
  return s;
}

void BridgeSink::SetParticipants(int64_t count) {
  if (participants_.exchange(count) == count) return;
  std::function<void()> callback;
  {
    std::lock_guard<std::mutex> lock(mu_);
    callback = on_listeners_;
  }
  if (callback) callback();
}

void BridgeSink::Run() {
  std::vector<pollfd> fds;
  std::vector<Connection*> owners;
  for (;;) {
    bool stop = false;
    bool queued = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop = stop_;
      queued = !queue_.empty();
    }
    if (stop) break;
    SteadyClock::time_point now = SteadyClock::now();

    fds.clear();
    owners.clear();
    fds.push_back(pollfd{wake_fd_.get(), POLLIN, 0});
    owners.push_back(nullptr);
    fds.push_back(pollfd{listen_fd_.get(), POLLIN, 0});
    owners.push_back(nullptr);
    std::optional<SteadyClock::time_point> deadline;
    auto add = [&](Connection* c, bool want_write, std::optional<SteadyClock::time_point> when) {
      short events = POLLIN;
      if (want_write) events |= POLLOUT;
      fds.push_back(pollfd{c->fd.get(), events, 0});
      owners.push_back(c);
      if (when && (!deadline || *when < *deadline)) deadline = when;
    };
    if (pending_) {
      add(pending_.get(), false, pending_->hello_deadline);
    }
    if (connector_) {
      const bool want_write = connector_->out_off < connector_->out.size() || queued;
      add(connector_.get(), want_write,
          connector_->draining ? std::optional(connector_->close_deadline) : std::nullopt);
    }
    for (const auto& c : closing_) add(c.get(), c->out_off < c->out.size(), c->close_deadline);

    const int timeout = deadline ? MillisUntil(*deadline, now) : -1;
    const int n = ::poll(fds.data(), fds.size(), timeout);
    if (n < 0 && errno != EINTR) {
      LOG_ERROR << "bridge " << slug_ << ": poll: " << ErrnoText(errno);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (n > 0 && (fds[0].revents & POLLIN)) {
      uint64_t counter;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_.get(), &counter, sizeof(counter));
    }
    if (n > 0) {
      for (size_t i = 2; i < fds.size(); ++i) {
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) ReadFrom(owners[i]);
      }
      if (fds[1].revents & POLLIN) AcceptConnections();
    }

    // Write what can be written now (frames queued since the poll included).
    if (connector_) Flush(connector_.get());
    if (pending_) Flush(pending_.get());
    for (const auto& c : closing_) Flush(c.get());

    now = SteadyClock::now();
    if (pending_) {
      if (pending_->dead) {
        pending_.reset();
      } else if (now >= pending_->hello_deadline) {
        LOG_INFO << "bridge " << slug_ << ": connection " << pending_->id
                 << " sent no HELLO within " << options_.hello_timeout_ms << " ms";
        Retire(pending_.get(),
               Error("hello_timeout",
                     "no HELLO within " + std::to_string(options_.hello_timeout_ms) + " ms"));
      }
    }
    if (connector_) {
      bool queue_empty;
      bool ended;
      {
        std::lock_guard<std::mutex> lock(mu_);
        queue_empty = queue_.empty();
        ended = ended_;
      }
      Connection* c = connector_.get();
      if (ended && !c->draining) {  // it closes once END is written
        c->draining = true;
        c->close_deadline = now + std::chrono::milliseconds(options_.close_flush_timeout_ms);
      }
      if (c->dead) {
        LOG_INFO << "bridge " << slug_ << ": connector " << c->id << " (" << c->client
                 << ") disconnected";
        DropConnector();
      } else if (c->draining &&
                 ((queue_empty && c->out_off == c->out.size()) || now >= c->close_deadline)) {
        LOG_INFO << "bridge " << slug_ << ": stream ended; closed connector " << c->id;
        DropConnector();
      }
    }
    closing_.erase(std::remove_if(closing_.begin(), closing_.end(),
                                  [&](const std::unique_ptr<Connection>& c) {
                                    return c->dead || c->out_off == c->out.size() ||
                                           now >= c->close_deadline;
                                  }),
                   closing_.end());
    const uint64_t dropped = frames_dropped_.load();
    if (dropped != dropped_logged_ && now - last_drop_log_ >= kDropLogInterval) {
      LOG_WARN << "bridge " << slug_ << ": the connector is too slow; dropped "
               << (dropped - dropped_logged_) << " audio frames (" << dropped << " in all)";
      dropped_logged_ = dropped;
      last_drop_log_ = now;
    }
  }

  // Stopping. After OnEnd the connector still gets the queued audio and its END; otherwise
  // queued audio is dropped and END shutdown follows the message in flight. Either way the
  // flush is bounded by close_flush_timeout_ms, then everything is closed.
  bool ended = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ended = ended_;
  }
  if (pending_) Retire(pending_.get(), End("shutdown"));
  if (connector_ && !ended) Retire(connector_.get(), End("shutdown"));
  const SteadyClock::time_point deadline =
      SteadyClock::now() + std::chrono::milliseconds(options_.close_flush_timeout_ms);
  for (;;) {
    if (connector_) Flush(connector_.get());
    for (const auto& c : closing_) Flush(c.get());
    bool queue_empty;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_empty = queue_.empty();
    }
    if (connector_ &&
        (connector_->dead || (queue_empty && connector_->out_off == connector_->out.size()))) {
      DropConnector();
    }
    closing_.erase(std::remove_if(closing_.begin(), closing_.end(),
                                  [](const std::unique_ptr<Connection>& c) {
                                    return c->dead || c->out_off == c->out.size();
                                  }),
                   closing_.end());
    const SteadyClock::time_point now = SteadyClock::now();
    if ((!connector_ && closing_.empty()) || now >= deadline) break;
    fds.clear();
    owners.clear();
    if (connector_) {
      fds.push_back(pollfd{connector_->fd.get(), POLLOUT, 0});
      owners.push_back(connector_.get());
    }
    for (const auto& c : closing_) {
      fds.push_back(pollfd{c->fd.get(), POLLOUT, 0});
      owners.push_back(c.get());
    }
    if (::poll(fds.data(), fds.size(), MillisUntil(deadline, now)) > 0) {
      for (size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents & (POLLHUP | POLLERR)) owners[i]->dead = true;
      }
    }
  }
  if (connector_) DropConnector();
  closing_.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    subscribed_ = false;
    ClearQueueLocked();
  }
}

void BridgeSink::AcceptConnections() {
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    const int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err == EINTR || err == ECONNABORTED) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      LOG_WARN << "bridge " << slug_ << ": accept: " << ErrnoText(err);
      // Out of descriptors: the listen socket stays readable; do not spin on it.
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return;
    }
    auto c = std::make_unique<Connection>();
    c->id = next_connection_id_++;
    c->fd.Reset(fd);
    const int sndbuf = kSendBufferBytes;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    c->hello_deadline = SteadyClock::now() + std::chrono::milliseconds(options_.hello_timeout_ms);
    if (pending_) {
      LOG_INFO << "bridge " << slug_ << ": connection " << pending_->id
               << " replaced by a newer one before its HELLO";
      Retire(pending_.get(), End("replaced"));
    }
    LOG_DEBUG << "bridge " << slug_ << ": connection " << c->id << " accepted";
    pending_ = std::move(c);
  }
}

void BridgeSink::ReadFrom(Connection* c) {
  char buf[kReadChunkBytes];
  for (int i = 0; i < kMaxReadsPerEvent && !c->dead; ++i) {
    const ssize_t n = ::recv(c->fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0) {
      c->dead = true;
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      LOG_INFO << "bridge " << slug_ << ": connection " << c->id << ": " << ErrnoText(errno);
      c->dead = true;
      return;
    }
    if (c->closing) continue;  // input after the final message is discarded
    c->parser.Feed(buf, static_cast<size_t>(n));
    BridgeMessage m;
    for (;;) {
      const BridgeParser::Status status = c->parser.Next(&m);
      if (status == BridgeParser::Status::kNeedMore) break;
      if (status == BridgeParser::Status::kError) {
        LOG_WARN << "bridge " << slug_ << ": connection " << c->id
                 << " broke the protocol: " << c->parser.error();
        Retire(c, Error("bad_message", c->parser.error()));
        break;
      }
      HandleMessage(c, m);
      if (c->closing) break;
    }
  }
}

void BridgeSink::HandleMessage(Connection* c, const BridgeMessage& m) {
  if (c->closing) return;
  std::string why;
  if (!c->hello_done) {
    if (m.type != BridgeMessageType::kHello) {
      Retire(c, Error("unexpected_message",
                      std::string("expected HELLO, got ") + BridgeMessageTypeName(m.type)));
      return;
    }
    BridgeHello hello;
    if (!DecodeBridgeHello(m, &hello, &why)) {
      LOG_WARN << "bridge " << slug_ << ": connection " << c->id << ": bad HELLO: " << why;
      Retire(c, Error("bad_message", why));
      return;
    }
    if (hello.protocol != kBridgeProtocolVersion) {
      LOG_WARN << "bridge " << slug_ << ": connection " << c->id << " (" << hello.client
               << ") speaks protocol " << hello.protocol;
      Retire(c,
             Error("unsupported_protocol", "protocol " + std::to_string(hello.protocol) +
                                               " is not supported; this server speaks protocol " +
                                               std::to_string(kBridgeProtocolVersion)));
      return;
    }
    Promote(c, hello.client);
    return;
  }
  switch (m.type) {
    case BridgeMessageType::kParticipants: {
      BridgeParticipants p;
      if (!DecodeBridgeParticipants(m, &p, &why)) {
        LOG_WARN << "bridge " << slug_ << ": connector " << c->id << ": bad PARTICIPANTS: " << why;
        Retire(c, Error("bad_message", why));
        return;
      }
      if (c == connector_.get()) SetParticipants(p.count);
      return;
    }
    case BridgeMessageType::kPing: {
      if (c != connector_.get()) return;
      std::lock_guard<std::mutex> lock(mu_);
      if (ended_) return;  // nothing follows END
      PushLocked(ItemKind::kControl,
                 SerializeBridgeMessage(BridgeMessage{BridgeMessageType::kPong, ""}));
      return;
    }
    case BridgeMessageType::kHello:
      Retire(c, Error("unexpected_message", "HELLO was already received"));
      return;
    default:
      Retire(c, Error("unexpected_message", std::string(BridgeMessageTypeName(m.type)) +
                                                " is not a message a connector sends"));
      return;
  }
}

void BridgeSink::Promote(Connection* c, const std::string& client) {
  if (c != pending_.get()) return;
  std::unique_ptr<Connection> owned = std::move(pending_);
  if (connector_) {
    LOG_INFO << "bridge " << slug_ << ": connector " << connector_->id << " replaced by " << c->id;
    Retire(connector_.get(), End("replaced"));
  }
  c->hello_done = true;
  c->client = client;
  BridgeWelcome welcome;
  welcome.stream_id = stream_id_;
  welcome.slug = slug_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ClearQueueLocked();
    PushLocked(ItemKind::kControl, SerializeBridgeMessage(EncodeBridgeWelcome(welcome)));
    if (ended_) {
      PushLocked(ItemKind::kEnd, SerializeBridgeMessage(End(end_reason_)));
    } else if (track_) {
      PushLocked(ItemKind::kControl, SerializeBridgeMessage(EncodeBridgeTrack(*track_)));
    }
    subscribed_ = !ended_;
  }
  connector_ = std::move(owned);
  connected_.store(true);
  connections_.fetch_add(1);
  LOG_INFO << "bridge " << slug_ << ": connector " << c->id << " (" << client << ") joined";
}

void BridgeSink::Retire(Connection* c, const BridgeMessage& final_message) {
  if (c->closing) return;
  std::unique_ptr<Connection> owned;
  if (c == connector_.get()) {
    owned = std::move(connector_);
    DropConnector();
  } else if (c == pending_.get()) {
    owned = std::move(pending_);
  } else {
    return;
  }
  if (c->out_off == c->out.size()) {
    c->out.clear();
    c->out_off = 0;
    c->audio_end = 0;
  }
  // The message in flight is finished first; nothing queued after it is sent.
  if (!c->got_end) AppendBridgeMessage(final_message.type, final_message.payload, &c->out);
  c->closing = true;
  c->close_deadline =
      SteadyClock::now() + std::chrono::milliseconds(options_.close_flush_timeout_ms);
  Flush(c);
  closing_.push_back(std::move(owned));
  if (closing_.size() > kMaxClosing) closing_.erase(closing_.begin());
}

void BridgeSink::DropConnector() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    subscribed_ = false;
    ClearQueueLocked();
  }
  connector_.reset();
  connected_.store(false);
  SetParticipants(0);
}

void BridgeSink::Flush(Connection* c) {
  while (!c->dead) {
    if (c->out_off == c->out.size()) {
      c->out.clear();
      c->out_off = 0;
      c->audio_end = 0;
      if (c != connector_.get()) return;
      QueuedItem item;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (queue_.empty()) return;
        item = std::move(queue_.front());
        queue_.pop_front();
        if (item.kind == ItemKind::kAudio) --queued_audio_;
      }
      c->out = std::move(item.bytes);
      if (item.kind == ItemKind::kAudio) c->audio_end = c->out.size();
      if (item.kind == ItemKind::kEnd) c->got_end = true;
    }
    const ssize_t n = ::send(c->fd.get(), c->out.data() + c->out_off, c->out.size() - c->out_off,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      LOG_INFO << "bridge " << slug_ << ": connection " << c->id << ": " << ErrnoText(errno);
      c->dead = true;
      return;
    }
    c->out_off += static_cast<size_t>(n);
    if (c->audio_end != 0 && c->out_off >= c->audio_end) {
      frames_sent_.fetch_add(1, std::memory_order_relaxed);
      c->audio_end = 0;
    }
  }
}

}  // namespace sattva::streamer
