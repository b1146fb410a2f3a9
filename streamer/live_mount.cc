#include "streamer/live_mount.h"

#include <algorithm>
#include <utility>

#include "common/log.h"

namespace sattva::streamer {

namespace {

bool IsSlugChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

int64_t FramesFor(int64_t ms) { return std::max<int64_t>(0, (ms + kFrameMs - 1) / kFrameMs); }

}  // namespace

bool IsValidMountSlug(const std::string& slug) {
  if (slug.empty() || slug.size() > 63 || slug[0] == '-') return false;
  return std::all_of(slug.begin(), slug.end(), IsSlugChar);
}

// ---------------------------------------------------------------------------------------------
// Broadcast

Broadcast::Broadcast(BroadcastOptions options) : options_(options) {}

void Broadcast::Start(std::string header) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ended_) return;
  header_ = std::make_shared<const std::string>(std::move(header));
  ring_.clear();
  ring_bytes_ = 0;
  ring_ms_ = 0;
  ++run_;
  open_ = true;
  NotifyLocked();
}

bool Broadcast::Publish(std::string chunk, int64_t duration_ms) {
  if (chunk.empty()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (!open_) return false;
  duration_ms = std::max<int64_t>(0, duration_ms);
  ring_bytes_ += chunk.size();
  ring_ms_ += duration_ms;
  ring_.push_back(
      Entry{next_seq_++, std::make_shared<const std::string>(std::move(chunk)), duration_ms});
  // Keep at least the newest chunk, whatever the budget.
  while (ring_.size() > 1 && (ring_ms_ > options_.max_lag_ms || ring_bytes_ > options_.max_bytes)) {
    ring_bytes_ -= ring_.front().data->size();
    ring_ms_ -= ring_.front().duration_ms;
    ring_.pop_front();
  }
  NotifyLocked();
  return true;
}

void Broadcast::Interrupt() {
  std::lock_guard<std::mutex> lock(mu_);
  if (ended_) return;
  open_ = false;
  ++epoch_;
  NotifyLocked();
}

bool Broadcast::StopIfIdle() {
  std::lock_guard<std::mutex> lock(mu_);
  if (listeners_.load() != 0) return false;
  open_ = false;
  ring_.clear();
  ring_bytes_ = 0;
  ring_ms_ = 0;
  header_.reset();
  return true;
}

void Broadcast::End() {
  std::lock_guard<std::mutex> lock(mu_);
  if (ended_) return;
  ended_ = true;
  open_ = false;
  NotifyLocked();
}

void Broadcast::StartCursorLocked(Cursor* cursor, bool from_run_start) const {
  cursor->started = true;
  cursor->run = run_;
  cursor->header_offset = 0;
  cursor->header_done = header_ == nullptr || header_->empty();
  cursor->offset = 0;
  cursor->seq = next_seq_;
  if (from_run_start) {
    // It was waiting for this run: all of the run is new to it (the ring holds only this run).
    if (!ring_.empty()) cursor->seq = ring_.front().seq;
    return;
  }
  int64_t covered = 0;
  for (auto it = ring_.rbegin(); it != ring_.rend() && covered < cursor->burst_ms; ++it) {
    covered += it->duration_ms;
    cursor->seq = it->seq;
  }
}

Broadcast::Cursor Broadcast::Join(int64_t burst_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.fetch_add(1);
  Cursor cursor;
  cursor.burst_ms = std::max<int64_t>(0, burst_ms);
  cursor.wait_run = run_;
  cursor.wait_epoch = epoch_;
  if (open_) StartCursorLocked(&cursor, /*from_run_start=*/false);
  return cursor;
}

void Broadcast::Leave(bool dropped_slow) {
  listeners_.fetch_sub(1);
  if (dropped_slow) dropped_slow_.fetch_add(1, std::memory_order_relaxed);
}

Broadcast::ReadResult Broadcast::Read(Cursor* cursor, size_t max_slices, size_t max_bytes,
                                      std::vector<Slice>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!cursor->started) {
    if (run_ != cursor->wait_run) {
      StartCursorLocked(cursor, /*from_run_start=*/true);  // the run it waited for began
    } else if (ended_ || cursor->wait_epoch != epoch_) {
      return ReadResult::kEnd;  // no run came: the stream ended or the encoder failed
    } else {
      return ReadResult::kData;  // wait
    }
  }
  if (cursor->run != run_) return ReadResult::kEnd;  // a newer run replaced this one
  if (!ring_.empty() && cursor->seq < ring_.front().seq) return ReadResult::kTooSlow;
  size_t slices = 0;
  size_t bytes = 0;
  if (!cursor->header_done && header_ != nullptr) {
    if (slices >= max_slices) return ReadResult::kData;
    Slice s;
    s.data = header_;
    s.offset = cursor->header_offset;
    s.header = true;
    bytes += s.size();
    out->push_back(std::move(s));
    ++slices;
  }
  if (!ring_.empty()) {
    for (size_t i = cursor->seq - ring_.front().seq; i < ring_.size(); ++i) {
      if (slices >= max_slices || bytes >= max_bytes) return ReadResult::kData;
      const Entry& e = ring_[i];
      Slice s;
      s.data = e.data;
      s.offset = e.seq == cursor->seq ? cursor->offset : 0;
      s.seq = e.seq;
      bytes += s.size();
      out->push_back(std::move(s));
      ++slices;
    }
  }
  return open_ ? ReadResult::kData : ReadResult::kEnd;
}

void Broadcast::Advance(const std::vector<Slice>& slices, size_t bytes, Cursor* cursor) {
  for (const Slice& s : slices) {
    if (bytes == 0) return;
    const size_t n = std::min(bytes, s.size());
    bytes -= n;
    if (s.header) {
      if (n == s.size()) {
        cursor->header_done = true;
        cursor->header_offset = 0;
      } else {
        cursor->header_offset += n;
      }
    } else if (n == s.size()) {
      cursor->seq = s.seq + 1;
      cursor->offset = 0;
    } else {
      cursor->offset += n;
    }
  }
}

bool Broadcast::TooSlow(const Cursor& cursor) const {
  std::lock_guard<std::mutex> lock(mu_);
  return cursor.started && cursor.run == run_ && !ring_.empty() && cursor.seq < ring_.front().seq;
}

void Broadcast::AddObserver(Observer* observer) {
  std::lock_guard<std::mutex> lock(mu_);
  observers_.push_back(observer);
}

void Broadcast::RemoveObserver(Observer* observer) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find(observers_.begin(), observers_.end(), observer);
  if (it != observers_.end()) observers_.erase(it);
}

void Broadcast::NotifyLocked() {
  for (Observer* o : observers_) o->OnBroadcastUpdate(this);
}

bool Broadcast::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_;
}

bool Broadcast::ended() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ended_;
}

uint64_t Broadcast::next_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_seq_;
}

size_t Broadcast::ring_chunks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ring_.size();
}

size_t Broadcast::ring_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ring_bytes_;
}

// ---------------------------------------------------------------------------------------------
// LiveSink

LiveSink::LiveSink(std::string slug, LiveSinkOptions options)
    : slug_(std::move(slug)),
      options_(std::move(options)),
      format_{Format(options_.broadcast), Format(options_.broadcast)} {}

LiveSink::~LiveSink() = default;

void LiveSink::OnFrame(const PcmFrame& frame) {
  if (ended_.load(std::memory_order_relaxed)) return;
  for (int i = 0; i < 2; ++i) EncodeFormat(i, frame);
}

void LiveSink::EncodeFormat(int index, const PcmFrame& frame) {
  Format& f = format_[index];
  const LiveFormat format = FormatOf(index);
  const int64_t listeners = f.broadcast.listeners();
  f.idle_frames = listeners > 0 ? 0 : f.idle_frames + 1;
  if (!f.encoder) {
    if (f.retry_frames > 0) --f.retry_frames;
    if (listeners == 0 || f.retry_frames > 0) return;
    std::string error;
    f.encoder = options_.encoder_factory ? options_.encoder_factory(format, &error)
                                         : LiveEncoder::Create(format, &error);
    if (!f.encoder) {
      FailFormat(f, format, "start", error);
      return;
    }
    f.pending_frames = 0;
    f.broadcast.Start(f.encoder->header());
    f.encoding.store(true);
    LOG_INFO << "live " << slug_ << "." << FormatName(format) << ": encoder started";
  } else if (listeners == 0 && f.idle_frames >= FramesFor(options_.idle_stop_ms)) {
    if (f.broadcast.StopIfIdle()) {
      f.encoder.reset();
      f.encoding.store(false);
      LOG_INFO << "live " << slug_ << "." << FormatName(format) << ": encoder stopped (idle)";
      return;
    }
  }
  chunks_.clear();
  std::string error;
  ++f.pending_frames;
  if (!f.encoder->Encode(frame, &chunks_, &error)) {
    FailFormat(f, format, "encode", error);
    return;
  }
  PublishChunks(f, &chunks_);
}

void LiveSink::PublishChunks(Format& f, std::vector<std::string>* chunks) {
  if (chunks->empty()) return;
  const int64_t total_ms = f.pending_frames * kFrameMs;
  const int64_t n = static_cast<int64_t>(chunks->size());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t ms = total_ms / n + (i == n - 1 ? total_ms % n : 0);
    f.broadcast.Publish(std::move((*chunks)[i]), ms);
  }
  f.pending_frames = 0;
  chunks->clear();
}

void LiveSink::FailFormat(Format& f, LiveFormat format, const std::string& what,
                          const std::string& error) {
  encode_errors_.fetch_add(1);
  LOG_WARN << "live " << slug_ << "." << FormatName(format) << ": encoder failed to " << what
           << ": " << error;
  f.encoder.reset();
  f.encoding.store(false);
  f.pending_frames = 0;
  f.retry_frames = FramesFor(options_.retry_ms);
  f.broadcast.Interrupt();
}

void LiveSink::OnTrack(const TrackInfo& /*track*/) {}

void LiveSink::OnEnd(const std::string& reason) {
  if (!ended_.exchange(true)) {
    for (int i = 0; i < 2; ++i) {
      Format& f = format_[i];
      if (!f.encoder) continue;
      chunks_.clear();
      f.encoder->Finish(&chunks_);
      PublishChunks(f, &chunks_);
    }
    LOG_INFO << "live " << slug_ << ": ended (" << reason << ")";
  }
  for (Format& f : format_) {
    f.broadcast.End();
    f.encoder.reset();
    f.encoding.store(false);
  }
}

void LiveSink::Close() {
  ended_.store(true);
  for (Format& f : format_) f.broadcast.End();
}

int64_t LiveSink::Listeners() const {
  return format_[0].broadcast.listeners() + format_[1].broadcast.listeners();
}

int64_t LiveSink::Listeners(LiveFormat format) const {
  return format_[Index(format)].broadcast.listeners();
}

bool LiveSink::encoding(LiveFormat format) const { return format_[Index(format)].encoding.load(); }

LiveSinkStats LiveSink::Stats() const {
  LiveSinkStats s;
  s.listeners_ogg = format_[0].broadcast.listeners();
  s.listeners_mp3 = format_[1].broadcast.listeners();
  for (const Format& f : format_) {
    s.bytes_sent += f.broadcast.bytes_sent();
    s.dropped_slow += f.broadcast.dropped_slow();
  }
  s.encode_errors = encode_errors_.load();
  return s;
}

void LiveSink::SetListenersChanged(std::function<void()> callback) {
  std::lock_guard<std::mutex> lock(callback_mu_);
  listeners_changed_ = std::move(callback);
}

Broadcast::Cursor LiveSink::Join(LiveFormat format, int64_t burst_ms) {
  Broadcast::Cursor cursor = format_[Index(format)].broadcast.Join(burst_ms);
  NotifyListenersChanged();
  return cursor;
}

void LiveSink::Leave(LiveFormat format, bool dropped_slow) {
  format_[Index(format)].broadcast.Leave(dropped_slow);
  NotifyListenersChanged();
}

void LiveSink::NotifyListenersChanged() {
  std::function<void()> callback;
  {
    std::lock_guard<std::mutex> lock(callback_mu_);
    callback = listeners_changed_;
  }
  if (callback) callback();
}

// ---------------------------------------------------------------------------------------------
// MountRegistry

bool MountRegistry::Add(const std::string& slug, std::shared_ptr<LiveSink> sink) {
  if (!sink || !IsValidMountSlug(slug)) return false;
  std::shared_ptr<LiveSink> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = mounts_[slug];
    old = std::move(slot);
    slot = std::move(sink);
  }
  if (old) old->Close();
  return true;
}

std::shared_ptr<LiveSink> MountRegistry::Remove(const std::string& slug, const LiveSink* only) {
  std::shared_ptr<LiveSink> removed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = mounts_.find(slug);
    if (it == mounts_.end() || (only != nullptr && it->second.get() != only)) return nullptr;
    removed = std::move(it->second);
    mounts_.erase(it);
  }
  removed->Close();
  return removed;
}

std::shared_ptr<LiveSink> MountRegistry::Find(const std::string& slug) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = mounts_.find(slug);
  return it == mounts_.end() ? nullptr : it->second;
}

std::vector<std::string> MountRegistry::Slugs() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> slugs;
  slugs.reserve(mounts_.size());
  for (const auto& [slug, sink] : mounts_) slugs.push_back(slug);
  return slugs;
}

size_t MountRegistry::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mounts_.size();
}

}  // namespace sattva::streamer
