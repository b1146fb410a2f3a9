#include "streamer/player.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <future>
#include <vector>

#include "common/events.h"
#include "common/json.h"
#include "common/log.h"
#include "common/stream_keys.h"
#include "streamer/audio.h"
#include "streamer/auto_end.h"
#include "streamer/bridge.h"
#include "streamer/decoder.h"
#include "streamer/listener_samples.h"
#include "streamer/live_mount.h"
#include "streamer/live_state.h"
#include "streamer/metrics.h"

namespace sattva::streamer {
namespace {

using std::chrono::milliseconds;
using MonoTime = common::Clock::MonoTime;

constexpr milliseconds kFrame{kFrameMs};
constexpr milliseconds kPositionEvery{500};
constexpr milliseconds kListenersCoalesce{250};
constexpr milliseconds kHeadCheckIdle{20};    // while the placeholder or silence plays
constexpr milliseconds kHeadCheckPlaying{500};
constexpr milliseconds kSkipsEvery{1000};
constexpr milliseconds kResyncAfter{200};     // further behind than this: reset the schedule
constexpr milliseconds kPlaceholderRetry{30000};
// How far the decoding thread runs ahead of delivery: 160 ms of stalls cost no late frame.
constexpr size_t kLeadFrames = 8;

// A decoder opened for one queue item (on a prefetch thread, or inline).
struct Opened {
  std::unique_ptr<Decoder> decoder;
  std::optional<TrackSource> track;
  std::string error;
};

struct ItemView {
  int64_t track_id = 0;
  std::string title;
  std::string artist;
  int64_t duration_ms = 0;
  std::optional<int64_t> queued_by;  // added_by.id
};

ItemView ParseItem(const std::string& json) {
  ItemView v;
  Json::Value j;
  std::string err;
  if (!common::ParseJson(json, &j, &err) || !j.isObject()) return v;
  const Json::Value& t = j["track"];
  if (!t.isObject()) return v;
  if (t["id"].isIntegral()) v.track_id = t["id"].asInt64();
  if (t["title"].isString()) v.title = t["title"].asString();
  if (t["artist"].isString()) v.artist = t["artist"].asString();
  if (t["duration_ms"].isIntegral()) v.duration_ms = t["duration_ms"].asInt64();
  if (j["added_by"].isObject() && j["added_by"]["id"].isIntegral()) {
    v.queued_by = j["added_by"]["id"].asInt64();
  }
  return v;
}

Json::Value TrackJson(const TrackInfo& t) {
  if (t.track_id == 0 && !t.placeholder) return Json::Value(Json::nullValue);
  Json::Value j(Json::objectValue);
  j["id"] = common::JsonInt(t.track_id);
  j["title"] = t.title;
  j["artist"] = t.artist;
  j["duration_ms"] = common::JsonInt(t.duration_ms);
  j["placeholder"] = t.placeholder;
  if (!t.item_id.empty()) j["item_id"] = t.item_id;
  return j;
}

}  // namespace

// The player's thread state. Everything here runs on the player's thread.
class Player::Engine {
 public:
  Engine(Player& p)
      : p_(p),
        clock_(p.deps_.clock),
        redis_(p.deps_.redis),
        state_(redis_, p.id_, p.options_.owner, p.options_.lease_ttl_ms,
               p.options_.events_maxlen),
        events_(redis_, clock_, p.options_.events_maxlen),
        metrics_(p.deps_.metrics, p.slug_),
        auto_end_(AutoEndSettings{}),
        sampler_(p.id_, p.deps_.clock) {}

  void Run();

 private:
  enum class Kind { kNone, kItem, kPlaceholder, kSilence };
  struct Current {
    Kind kind = Kind::kNone;
    std::unique_ptr<Decoder> decoder;
    std::string item_id;
    TrackInfo info;
    std::optional<int64_t> queued_by;
  };
  struct Prefetch {
    std::string item_id;
    std::future<Opened> future;
  };

  std::string NowIso() const { return common::IsoUtcMillis(clock_.WallNow()); }
  int64_t WallMs() const { return common::UnixMillis(clock_.WallNow()); }

  // Sources.
  Opened OpenItemNow(const std::string& item_json);
  void StartPrefetch(const PoppedItem& head);
  void DropPrefetch();
  bool BeginNextItem(int offset);       // pops the queue; false when it is empty
  void BeginPlaceholder(int offset);
  void Begin(Current next, int offset);
  void EndCurrent(const std::string& reason, const std::string& error);
  void FailItem(const std::string& item_id, int64_t track_id, const std::string& error,
                std::optional<int64_t> queued_by);
  void FillFrame(PcmFrame* frame);
  bool Resume();

  // Housekeeping between frames.
  void Housekeeping(MonoTime now);
  void UpdateListeners(MonoTime now, bool force);
  // Hands the listener samples of closed minutes to the writer (off this thread).
  void WriteSamples();
  void RunAutoEnd();
  void SaveAutoEnd();
  void WriteEvent(const std::string& type, const Json::Value& data);
  void StreamUpdate(const std::string& event, const std::string& reason);
  void ApplySpec();
  void Finish(StopKind kind);
  // The delivery thread: hands queued frames to the sinks every 20 ms.
  void Deliver();
  // Drops frames decoded ahead but not yet delivered (a skip, or an item cutting into the
  // placeholder, is heard on the next frame instead of after the lead).
  void DropQueued();

  struct Slot {
    PcmFrame frame;
    std::vector<TrackInfo> tracks;  // announced just before the frame
  };

  Player& p_;
  const common::Clock& clock_;
  common::Redis redis_;
  LiveState state_;
  common::EventWriter events_;
  StreamMetrics metrics_;
  AutoEndTimer auto_end_;
  ListenerSampler sampler_;
  std::vector<ListenerSample> samples_;  // closed minutes not yet handed to the writer
  StreamSpec spec_;

  std::shared_ptr<LiveSink> live_;
  std::unique_ptr<BridgeSink> bridge_;
  std::vector<Sink*> sinks_;
  std::atomic<bool> listeners_dirty_{true};

  Current cur_;
  std::optional<Prefetch> prefetch_;
  std::vector<std::future<Opened>> abandoned_;  // prefetches no longer wanted, still opening
  std::vector<TrackInfo> pending_tracks_;       // announced before the next frame
  int64_t skips_seen_ = 0;
  int handled_skips_ = 0;
  MonoTime placeholder_failed_at_{};
  bool placeholder_failed_ = false;

  MonoTime last_renew_ok_{};
  MonoTime next_renew_{}, next_position_{}, next_head_check_{}, next_skips_{};
  MonoTime last_listeners_write_{};
  int64_t listeners_ = -1, live_count_ = 0, bridge_count_ = 0, peak_ = 0;
  bool lost_ = false;
  bool auto_ended_ = false;
  MonoTime auto_end_retry_at_{};

  std::deque<Slot> queued_;       // guarded by p_.mu_
  bool delivery_closed_ = false;  // guarded by p_.mu_
  std::thread delivery_;
};

Opened Player::Engine::OpenItemNow(const std::string& item_json) {
  Opened o;
  const ItemView v = ParseItem(item_json);
  if (v.track_id == 0) {
    o.error = "the queue item has no track";
    return o;
  }
  try {
    o.track = p_.deps_.catalog.FindTrack(v.track_id);
  } catch (const std::exception& e) {
    o.error = std::string("the track could not be looked up: ") + e.what();
    return o;
  }
  if (!o.track) {
    o.error = "track " + std::to_string(v.track_id) + " was deleted";
    return o;
  }
  o.decoder = Decoder::Open(o.track->source, p_.options_.open_timeout_ms, &o.error);
  return o;
}

void Player::Engine::StartPrefetch(const PoppedItem& head) {
  DropPrefetch();
  Prefetch pf;
  pf.item_id = head.id;
  const std::string json = head.json;
  pf.future = std::async(std::launch::async, [this, json, id = head.id] {
    const MonoTime t0 = clock_.Now();
    Opened o = OpenItemNow(json);
    LOG_DEBUG << "stream " << p_.slug_ << ": item " << id << " opened ahead in "
              << std::chrono::duration_cast<milliseconds>(clock_.Now() - t0).count() << " ms";
    return o;
  });
  prefetch_ = std::move(pf);
}

void Player::Engine::DropPrefetch() {
  if (prefetch_) abandoned_.push_back(std::move(prefetch_->future));
  prefetch_.reset();
  // Forget the ones that finished opening (their decoders close here).
  abandoned_.erase(std::remove_if(abandoned_.begin(), abandoned_.end(),
                                  [](std::future<Opened>& f) {
                                    return f.wait_for(milliseconds(0)) ==
                                           std::future_status::ready;
                                  }),
                   abandoned_.end());
}

void Player::Engine::Begin(Current next, int offset) {
  cur_ = std::move(next);
  cur_.info.start_offset = offset;
  pending_tracks_.push_back(cur_.info);
  metrics_.track_transitions.Increment();
  if (cur_.kind == Kind::kItem) {
    p_.deps_.records.TrackStarted(p_.id_, cur_.info.track_id, cur_.item_id, NowIso(),
                                  cur_.queued_by);
  }
  if (cur_.kind != Kind::kItem) {
    Json::Value item(Json::objectValue);
    item["placeholder"] = true;
    item["track"] = TrackJson(cur_.info);
    try {
      state_.SetNowPlaying(common::WriteJson(item), NowIso(), WallMs());
    } catch (const std::exception& e) {
      LOG_WARN << "stream " << p_.slug_ << ": cannot record now playing: " << e.what();
    }
  }
  StreamUpdate("track_changed", "");
}

void Player::Engine::FailItem(const std::string& item_id, int64_t track_id,
                              const std::string& error, std::optional<int64_t> queued_by) {
  LOG_WARN << "stream " << p_.slug_ << ": skipping item " << item_id << ": " << error;
  metrics_.decode_errors.Increment();
  const std::string now = NowIso();
  p_.deps_.records.TrackStarted(p_.id_, track_id, item_id, now, queued_by);
  p_.deps_.records.TrackEnded(p_.id_, item_id, "error", error, now);
  Json::Value d(Json::objectValue);
  d["code"] = "track_failed";
  d["message"] = error;
  d["item_id"] = item_id;
  d["track_id"] = common::JsonInt(track_id);
  WriteEvent("error", d);
}

bool Player::Engine::BeginNextItem(int offset) {
  // Each failing item is popped and reported; the loop ends at a playable item or an empty queue.
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::optional<PoppedItem> item;
    try {
      item = state_.Pop(NowIso(), WallMs());
    } catch (const std::exception& e) {
      LOG_WARN << "stream " << p_.slug_ << ": cannot pop the queue: " << e.what();
      return false;
    }
    if (!item) return false;
    Opened o;
    if (prefetch_ && prefetch_->item_id == item->id) {
      o = prefetch_->future.get();
      prefetch_.reset();
    } else {
      DropPrefetch();
      o = OpenItemNow(item->json);
    }
    const ItemView v = ParseItem(item->json);
    if (!o.decoder) {
      FailItem(item->id, v.track_id, o.error, v.queued_by);
      continue;
    }
    Current c;
    c.kind = Kind::kItem;
    c.decoder = std::move(o.decoder);
    c.item_id = item->id;
    c.info.track_id = v.track_id;
    c.info.item_id = item->id;
    c.info.title = o.track ? o.track->title : v.title;
    c.info.artist = o.track ? o.track->artist : v.artist;
    c.info.duration_ms = v.duration_ms;
    c.queued_by = v.queued_by;
    Begin(std::move(c), offset);
    return true;
  }
  return false;
}

void Player::Engine::BeginPlaceholder(int offset) {
  Current c;
  const bool retry_due = !placeholder_failed_ || clock_.Now() - placeholder_failed_at_ >= kPlaceholderRetry;
  if (retry_due) {
    std::vector<TrackSource> candidates;
    if (spec_.placeholder) candidates.push_back(*spec_.placeholder);
    if (!p_.options_.default_placeholder.empty()) {
      TrackSource d;
      d.source = p_.options_.default_placeholder;
      d.title = "Placeholder";
      candidates.push_back(d);
    }
    for (const auto& t : candidates) {
      std::string error;
      c.decoder = Decoder::Open(t.source, p_.options_.open_timeout_ms, &error);
      if (c.decoder) {
        c.kind = Kind::kPlaceholder;
        c.info.track_id = t.id;
        c.info.title = t.title;
        c.info.artist = t.artist;
        c.info.duration_ms = t.duration_ms;
        c.info.placeholder = true;
        placeholder_failed_ = false;
        break;
      }
      LOG_WARN << "stream " << p_.slug_ << ": placeholder " << t.source
               << " cannot be played: " << error;
      metrics_.decode_errors.Increment();
    }
    if (!c.decoder && !candidates.empty()) {
      placeholder_failed_ = true;
      placeholder_failed_at_ = clock_.Now();
    }
  }
  if (!c.decoder) {
    c.kind = Kind::kSilence;
    c.info.placeholder = true;
    c.info.title = "Silence";
  }
  // A looping placeholder announces itself once, not on every loop.
  const bool same_loop = cur_.kind == c.kind && cur_.info.track_id == c.info.track_id &&
                         c.kind != Kind::kItem && cur_.kind != Kind::kNone;
  if (same_loop) {
    cur_.decoder = std::move(c.decoder);
    metrics_.track_transitions.Increment();
    return;
  }
  Begin(std::move(c), offset);
}

void Player::Engine::EndCurrent(const std::string& reason, const std::string& error) {
  if (cur_.kind == Kind::kItem) {
    p_.deps_.records.TrackEnded(p_.id_, cur_.item_id, reason, error, NowIso());
  }
  cur_.decoder.reset();
}

void Player::Engine::FillFrame(PcmFrame* frame) {
  int filled = 0;
  int guard = 0;
  while (filled < kFrameSamples && guard++ < 8) {
    if (cur_.kind == Kind::kNone) {
      if (!BeginNextItem(filled)) BeginPlaceholder(filled);
    }
    if (cur_.kind == Kind::kSilence || !cur_.decoder) {
      std::memset(frame->samples.data() + filled * kChannels, 0,
                  (kFrameSamples - filled) * kChannels * sizeof(int16_t));
      filled = kFrameSamples;
      break;
    }
    int got = 0;
    std::string error;
    const DecodeStatus st = cur_.decoder->Read(frame->samples.data() + filled * kChannels,
                                               kFrameSamples - filled, &got, &error);
    filled += got;
    if (st == DecodeStatus::kOk) continue;
    if (st == DecodeStatus::kError) {
      metrics_.decode_errors.Increment();
      if (cur_.kind == Kind::kItem) {
        LOG_WARN << "stream " << p_.slug_ << ": item " << cur_.item_id << " failed: " << error;
        Json::Value d(Json::objectValue);
        d["code"] = "track_failed";
        d["message"] = error;
        d["item_id"] = cur_.item_id;
        d["track_id"] = common::JsonInt(cur_.info.track_id);
        WriteEvent("error", d);
      }
    }
    const bool was_placeholder = cur_.kind != Kind::kItem;
    EndCurrent(st == DecodeStatus::kError ? "error" : "finished", error);
    if (was_placeholder) {
      // The placeholder loops, unless the queue has something now.
      if (BeginNextItem(filled)) continue;
      if (st == DecodeStatus::kError && got == 0) {
        placeholder_failed_ = true;
        placeholder_failed_at_ = clock_.Now();
      }
      BeginPlaceholder(filled);
    } else {
      cur_.kind = Kind::kNone;
    }
  }
  if (filled < kFrameSamples) {
    std::memset(frame->samples.data() + filled * kChannels, 0,
                (kFrameSamples - filled) * kChannels * sizeof(int16_t));
  }
}

bool Player::Engine::Resume() {
  NowPlaying now;
  try {
    now = state_.ReadNowPlaying();
  } catch (const std::exception& e) {
    return false;
  }
  if (now.item_json.empty()) return false;
  Json::Value j;
  std::string err;
  if (!common::ParseJson(now.item_json, &j, &err) || !j.isObject() || !j["id"].isString()) {
    return false;  // the placeholder was playing: nothing to resume
  }
  const std::string item_id = j["id"].asString();
  Opened o = OpenItemNow(now.item_json);
  const ItemView v = ParseItem(now.item_json);
  if (!o.decoder) {
    FailItem(item_id, v.track_id, o.error, v.queued_by);
    return false;
  }
  if (now.position_ms > 0 && !o.decoder->SeekMs(now.position_ms, &err)) {
    LOG_WARN << "stream " << p_.slug_ << ": cannot resume item " << item_id << " at "
             << now.position_ms << " ms: " << err << "; playing it from the start";
    o = OpenItemNow(now.item_json);
    if (!o.decoder) {
      FailItem(item_id, v.track_id, o.error, v.queued_by);
      return false;
    }
  }
  LOG_INFO << "stream " << p_.slug_ << ": resuming item " << item_id << " at "
           << now.position_ms << " ms";
  cur_.kind = Kind::kItem;
  cur_.decoder = std::move(o.decoder);
  cur_.item_id = item_id;
  cur_.info.track_id = v.track_id;
  cur_.info.item_id = item_id;
  cur_.info.title = o.track ? o.track->title : v.title;
  cur_.info.artist = o.track ? o.track->artist : v.artist;
  cur_.info.duration_ms = v.duration_ms;
  cur_.info.start_offset = 0;
  pending_tracks_.push_back(cur_.info);
  cur_.queued_by = v.queued_by;
  p_.deps_.records.TrackStarted(p_.id_, v.track_id, item_id,
                                now.started_at.empty() ? NowIso() : now.started_at, v.queued_by);
  return true;
}

void Player::Engine::WriteEvent(const std::string& type, const Json::Value& data) {
  try {
    events_.Publish(type, p_.id_, data);
  } catch (const std::exception& e) {
    LOG_WARN << "stream " << p_.slug_ << ": cannot write a " << type << " event: " << e.what();
  }
}

void Player::Engine::StreamUpdate(const std::string& event, const std::string& reason) {
  Json::Value d(Json::objectValue);
  d["event"] = event;
  d["slug"] = p_.slug_;
  d["title"] = spec_.title;
  d["track"] = TrackJson(cur_.info);
  d["listeners"] = common::JsonInt(std::max<int64_t>(listeners_, 0));
  if (!reason.empty()) d["reason"] = reason;
  WriteEvent("stream_update", d);
}

void Player::Engine::UpdateListeners(MonoTime now, bool force) {
  if (!force && now - last_listeners_write_ < kListenersCoalesce) return;
  if (!force && !listeners_dirty_.exchange(false)) return;
  const int64_t live = live_ ? live_->Listeners() : 0;
  const int64_t bridge = bridge_ ? bridge_->Listeners() : 0;
  const int64_t total = live + bridge;
  sampler_.Set(total, &samples_);
  metrics_.listeners_live.Set(static_cast<double>(live));
  metrics_.listeners_bridge.Set(static_cast<double>(bridge));
  if (total == listeners_ && live == live_count_ && bridge == bridge_count_ && !force) return;
  const bool changed = total != listeners_ || live != live_count_ || bridge != bridge_count_;
  listeners_ = total;
  live_count_ = live;
  bridge_count_ = bridge;
  last_listeners_write_ = now;
  try {
    state_.SetListeners(total, live, bridge);
  } catch (const std::exception& e) {
    LOG_WARN << "stream " << p_.slug_ << ": cannot record listeners: " << e.what();
    listeners_dirty_ = true;
  }
  if (changed) {
    Json::Value d(Json::objectValue);
    d["count"] = common::JsonInt(total);
    d["sinks"]["live"] = common::JsonInt(live);
    d["sinks"]["bridge"] = common::JsonInt(bridge);
    WriteEvent("listeners_update", d);
  }
  if (total > peak_) {
    peak_ = total;
    p_.deps_.records.NoteListeners(p_.id_, total);
  }
}

void Player::Engine::SaveAutoEnd() {
  const std::string key = common::AutoEndKey(p_.id_);
  try {
    if (!auto_end_.armed()) {
      redis_.Checked({"DEL", key});
      return;
    }
    const AutoEndSaved& s = auto_end_.saved();
    redis_.Checked({"HSET", key, "zero_since_ms", std::to_string(s.zero_since_ms), "deadline_ms",
                    std::to_string(s.deadline_ms), "warned", std::to_string(s.warned_mask),
                    "timeout_s", std::to_string(auto_end_.settings().timeout_s)});
  } catch (const std::exception& e) {
    LOG_WARN << "stream " << p_.slug_ << ": cannot save the auto-end countdown: " << e.what();
  }
}

void Player::Engine::RunAutoEnd() {
  if (listeners_ < 0 || clock_.Now() < auto_end_retry_at_) return;
  const int64_t now_ms = WallMs();
  AutoEndTimer::Actions a = auto_end_.Tick(now_ms, listeners_);
  if (a.armed) {
    SaveAutoEnd();
    LOG_INFO << "stream " << p_.slug_ << ": nobody listens; ending in "
             << auto_end_.SecondsRemaining(now_ms) << " s unless someone joins";
  }
  if (a.cancelled) {
    SaveAutoEnd();
    Json::Value d(Json::objectValue);
    d["reason"] = "listener_joined";
    d["listeners"] = common::JsonInt(listeners_);
    WriteEvent("auto_end_cancelled", d);
  }
  for (int w : a.warnings) {
    SaveAutoEnd();
    Json::Value d(Json::objectValue);
    d["seconds_remaining"] = w;
    d["reason"] = "no_listeners";
    d["deadline"] = common::IsoUtcMillis(common::Clock::WallTime(milliseconds(auto_end_.saved().deadline_ms)));
    WriteEvent("auto_end_warning", d);
  }
  if (a.end) {
    bool ended = false;
    try {
      ended = p_.deps_.catalog.AutoEnd(p_.id_, NowIso());
    } catch (const std::exception& e) {
      // PostgreSQL is down: try again on the next frame's tick.
      // The countdown is re-armed from what was saved, so the next tick tries again.
      LOG_WARN << "stream " << p_.slug_ << ": cannot record the auto-end yet: " << e.what();
      const AutoEndSaved saved = auto_end_.saved();
      auto_end_ = AutoEndTimer(auto_end_.settings());
      auto_end_.Restore(saved);
      auto_end_retry_at_ = clock_.Now() + milliseconds(1000);
      return;
    }
    auto_ended_ = ended;
    if (ended) {
      p_.deps_.metrics.auto_end.Increment();
      LOG_INFO << "stream " << p_.slug_ << ": ended: nobody listened for "
               << auto_end_.settings().timeout_s << " s";
    }
  }
}

void Player::Engine::ApplySpec() {
  StreamSpec spec;
  {
    std::lock_guard<std::mutex> lock(p_.mu_);
    if (!p_.spec_changed_) return;
    p_.spec_changed_ = false;
    spec = p_.spec_;
  }
  const bool placeholder_changed =
      (spec.placeholder ? spec.placeholder->id : -1) != (spec_.placeholder ? spec_.placeholder->id : -1);
  spec_ = spec;
  AutoEndTimer::Actions a =
      auto_end_.Configure({spec_.auto_end_enabled, spec_.auto_end_timeout_s}, WallMs());
  if (a.cancelled || a.changed) SaveAutoEnd();
  if (a.cancelled) {
    Json::Value d(Json::objectValue);
    d["reason"] = "disabled";
    d["listeners"] = common::JsonInt(std::max<int64_t>(listeners_, 0));
    WriteEvent("auto_end_cancelled", d);
  }
  if (placeholder_changed && cur_.kind != Kind::kItem) {
    // A new placeholder replaces the old one at once.
    placeholder_failed_ = false;
    EndCurrent("finished", "");
    cur_.kind = Kind::kNone;
  }
}

void Player::Engine::Housekeeping(MonoTime now) {
  ApplySpec();
  // The lease first: without it we must stop at once.
  if (now >= next_renew_) {
    next_renew_ = now + milliseconds(std::max<int64_t>(100, p_.options_.lease_ttl_ms / 3));
    try {
      if (state_.Renew()) {
        last_renew_ok_ = now;
      } else {
        LOG_WARN << "stream " << p_.slug_ << ": the lease was taken over; stopping here";
        lost_ = true;
        return;
      }
    } catch (const std::exception& e) {
      LOG_WARN << "stream " << p_.slug_ << ": cannot renew the lease: " << e.what();
      if (now - last_renew_ok_ >= milliseconds(p_.options_.lease_ttl_ms)) {
        LOG_WARN << "stream " << p_.slug_ << ": the lease lapsed; stopping here";
        lost_ = true;
        return;
      }
    }
  }
  // Skips: the notice sets skips_; the counter in Redis catches a lost notice.
  const int requested = p_.skips_.load();
  bool skip = requested != handled_skips_;
  handled_skips_ = requested;
  if (now >= next_skips_) {
    next_skips_ = now + kSkipsEvery;
    try {
      const int64_t n = state_.Skips();
      if (n > skips_seen_) skip = true;
      skips_seen_ = n;
    } catch (const std::exception&) {
    }
  }
  if (skip && cur_.kind == Kind::kItem) {
    LOG_INFO << "stream " << p_.slug_ << ": skipping item " << cur_.item_id;
    EndCurrent("skipped", "");
    cur_.kind = Kind::kNone;
    DropQueued();
    try {
      skips_seen_ = state_.Skips();
    } catch (const std::exception&) {
    }
  }
  // The queue's head: prefetch it, or start it at once when the placeholder plays.
  if (now >= next_head_check_) {
    const bool idle = cur_.kind != Kind::kItem;
    next_head_check_ = now + (idle ? kHeadCheckIdle : kHeadCheckPlaying);
    try {
      if (idle || !prefetch_) {
        std::optional<PoppedItem> head = state_.Head();
        if (!head) {
          if (prefetch_) DropPrefetch();
        } else if (!prefetch_ || prefetch_->item_id != head->id) {
          StartPrefetch(*head);
          // A local file opens in a few ms: while the placeholder plays, give it that long so
          // the item cuts in on the very next frame.
          if (idle) prefetch_->future.wait_for(milliseconds(5));
        }
      } else {
        const std::string head_id = state_.HeadId();
        if (head_id != prefetch_->item_id) {
          std::optional<PoppedItem> head = state_.Head();
          if (head) StartPrefetch(*head);
          else DropPrefetch();
        }
      }
    } catch (const std::exception& e) {
      LOG_WARN << "stream " << p_.slug_ << ": cannot read the queue: " << e.what();
    }
  }
  // While the placeholder plays, a queued item cuts in as soon as its decoder is open.
  if (cur_.kind != Kind::kItem && prefetch_ &&
      prefetch_->future.wait_for(milliseconds(0)) == std::future_status::ready) {
    EndCurrent("finished", "");
    cur_.kind = Kind::kNone;  // the next frame pops the queue
    DropQueued();
  }
  if (now >= next_position_) {
    next_position_ = now + kPositionEvery;
    if (cur_.kind == Kind::kItem && cur_.decoder) {
      try {
        state_.SetPosition(cur_.decoder->position_samples() * 1000 / kSampleRate, WallMs());
      } catch (const std::exception& e) {
        LOG_WARN << "stream " << p_.slug_ << ": cannot record the position: " << e.what();
      }
    }
  }
  UpdateListeners(now, false);
  sampler_.Tick(&samples_);
  WriteSamples();
  RunAutoEnd();
}

void Player::Engine::WriteSamples() {
  if (samples_.empty()) return;
  if (p_.deps_.listener_samples != nullptr) p_.deps_.listener_samples->Write(std::move(samples_));
  samples_.clear();
}

void Player::Engine::Finish(StopKind kind) {
  const char* reason = auto_ended_ ? "auto_end" : kind == StopKind::kShutdown ? "shutdown" : "manual";
  if (lost_) reason = "moved";
  DropPrefetch();
  bool ended = false;  // an end (not a hand-over): announced once the state is gone
  if (!lost_ && kind == StopKind::kShutdown && !auto_ended_) {
    // Not an end: the position stays in Redis and another streamer resumes.
    if (cur_.kind == Kind::kItem && cur_.decoder) {
      try {
        state_.SetPosition(cur_.decoder->position_samples() * 1000 / kSampleRate, WallMs());
      } catch (const std::exception&) {
      }
    }
  } else if (!lost_) {
    EndCurrent("stopped", "");
    try {
      state_.ClearNowPlaying();
      redis_.Checked({"DEL", common::AutoEndKey(p_.id_)});
    } catch (const std::exception& e) {
      LOG_WARN << "stream " << p_.slug_ << ": cannot clear now playing: " << e.what();
    }
    cur_ = Current{};
    ended = true;
  }
  // The minute in progress is written now; a streamer that resumes the stream adds its part.
  sampler_.Close(&samples_);
  WriteSamples();
  for (Sink* s : sinks_) s->OnEnd(reason);
  if (bridge_) bridge_->Stop();
  p_.deps_.mounts.Remove(p_.slug_, live_.get());
  if (!lost_) {
    try {
      state_.Release();
    } catch (const std::exception& e) {
      LOG_WARN << "stream " << p_.slug_ << ": cannot release the lease: " << e.what();
    }
  }
  // After the release removed the state and listener keys: whoever reads the live state and
  // the newest event id together (wsd's snapshot) never sees this event with the stream still
  // running.
  if (ended) StreamUpdate("stopped", reason);
  LOG_INFO << "stream " << p_.slug_ << ": stopped here (" << reason << ")";
}

void Player::Engine::Run() {
  {
    std::lock_guard<std::mutex> lock(p_.mu_);
    spec_ = p_.spec_;
    p_.spec_changed_ = false;
  }
  auto_end_ = AutoEndTimer({spec_.auto_end_enabled, spec_.auto_end_timeout_s});
  const MonoTime start = clock_.Now();
  last_renew_ok_ = start;
  next_renew_ = start + milliseconds(std::max<int64_t>(100, p_.options_.lease_ttl_ms / 3));

  // Sinks.
  LiveSinkOptions live_options;
  live_options.broadcast.max_lag_ms = p_.options_.live_max_lag_ms;
  live_ = std::make_shared<LiveSink>(p_.slug_, live_options);
  live_->SetListenersChanged([this] { listeners_dirty_ = true; });
  p_.deps_.mounts.Add(p_.slug_, live_);
  sinks_.push_back(live_.get());
  if (!p_.options_.bridge_dir.empty()) {
    bridge_ = std::make_unique<BridgeSink>(p_.options_.bridge_dir + "/" + p_.slug_ + ".sock",
                                           p_.id_, p_.slug_);
    std::string error;
    if (bridge_->Start(&error)) {
      bridge_->SetListenersChanged([this] { listeners_dirty_ = true; });
      sinks_.push_back(bridge_.get());
    } else {
      LOG_WARN << "stream " << p_.slug_ << ": no bridge: " << error;
      bridge_.reset();
    }
  }

  // Redis state and records; a countdown a previous owner left is picked up.
  p_.deps_.records.OpenSession(p_.id_, common::IsoUtcMillis(clock_.WallNow()));
  try {
    state_.SetState("running");
    skips_seen_ = state_.Skips();
    common::RedisReplyPtr r = redis_.Checked({"HMGET", common::AutoEndKey(p_.id_), "zero_since_ms",
                                              "deadline_ms", "warned"});
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
        r->element[0]->type == REDIS_REPLY_STRING) {
      AutoEndSaved saved;
      saved.zero_since_ms = std::atoll(r->element[0]->str);
      saved.warned_mask = std::atoi(common::ReplyString(r->element[2]).c_str());
      auto_end_.Restore(saved);
      LOG_INFO << "stream " << p_.slug_ << ": auto-end countdown resumes, "
               << auto_end_.SecondsRemaining(WallMs()) << " s left";
    }
  } catch (const std::exception& e) {
    LOG_WARN << "stream " << p_.slug_ << ": redis: " << e.what();
  }
  const bool resumed = Resume();
  UpdateListeners(start, true);
  {
    Json::Value d(Json::objectValue);
    d["event"] = "started";
    d["slug"] = p_.slug_;
    d["title"] = spec_.title;
    d["resumed"] = resumed;
    d["track"] = TrackJson(cur_.info);
    d["listeners"] = common::JsonInt(std::max<int64_t>(listeners_, 0));
    WriteEvent("stream_update", d);
  }
  LOG_INFO << "stream " << p_.slug_ << ": playing" << (resumed ? " (resumed)" : "");

  // This thread decodes up to kLeadFrames ahead; the delivery thread hands frames to the sinks
  // on the 20 ms clock. So a Redis or PostgreSQL round trip, a decoder open or a scheduling
  // hiccup here costs no late frame unless it outlasts the lead.
  delivery_ = std::thread([this] { Deliver(); });
  std::optional<StopKind> stop;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(p_.mu_);
      p_.cv_.wait_for(lock, kFrame, [this] {
        return p_.stop_.has_value() || p_.skips_.load() != handled_skips_ ||
               queued_.size() < kLeadFrames;
      });
      stop = p_.stop_;
    }
    if (stop || lost_ || auto_ended_) break;
    bool room = false;
    {
      std::lock_guard<std::mutex> lock(p_.mu_);
      room = queued_.size() < kLeadFrames;
    }
    if (room) {
      Slot slot;
      FillFrame(&slot.frame);
      slot.tracks.swap(pending_tracks_);
      {
        std::lock_guard<std::mutex> lock(p_.mu_);
        queued_.push_back(std::move(slot));
      }
      p_.cv_.notify_all();
    }
    Housekeeping(clock_.Now());
  }
  {
    std::lock_guard<std::mutex> lock(p_.mu_);
    delivery_closed_ = true;
  }
  p_.cv_.notify_all();
  delivery_.join();
  Finish(stop.value_or(StopKind::kStopped));
}

void Player::Engine::Deliver() {
  MonoTime next = clock_.Now();
  while (true) {
    Slot slot;
    {
      std::unique_lock<std::mutex> lock(p_.mu_);
      p_.cv_.wait_until(lock, next, [this] { return delivery_closed_; });
      if (delivery_closed_) return;
      if (queued_.empty()) {
        // The producer is further behind than its lead: this frame will be late.
        p_.cv_.wait(lock, [this] { return delivery_closed_ || !queued_.empty(); });
        if (delivery_closed_) return;
      }
      slot = std::move(queued_.front());
      queued_.pop_front();
    }
    p_.cv_.notify_all();  // room for the producer
    for (const TrackInfo& t : slot.tracks) {
      for (Sink* s : sinks_) s->OnTrack(t);
    }
    for (Sink* s : sinks_) s->OnFrame(slot.frame);
    metrics_.frames_sent.Increment();
    const MonoTime now = clock_.Now();
    if (now > next + kFrame) {
      metrics_.frames_late.Increment();
    }
    next += kFrame;
    if (now - next > kResyncAfter) {
      metrics_.underruns.Increment();
      next = now;
    }
  }
}

void Player::Engine::DropQueued() {
  std::lock_guard<std::mutex> lock(p_.mu_);
  queued_.clear();
}

Player::Player(StreamSpec spec, PlayerDeps deps, PlayerOptions options)
    : id_(spec.id),
      slug_(spec.slug),
      deps_(deps),
      options_(std::move(options)),
      spec_(std::move(spec)) {}

Player::~Player() {
  Stop(StopKind::kShutdown);
  if (thread_.joinable()) thread_.join();
}

void Player::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Player::Run() {
  try {
    Engine engine(*this);
    engine.Run();
  } catch (const std::exception& e) {
    LOG_ERROR << "stream " << slug_ << ": the player failed: " << e.what();
  }
  finished_ = true;
}

void Player::Skip() {
  ++skips_;
  cv_.notify_all();
}

void Player::Update(const StreamSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  if (spec == spec_) return;
  spec_ = spec;
  spec_changed_ = true;
}

void Player::Stop(StopKind kind) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_) stop_ = kind;
  }
  cv_.notify_all();
}

}  // namespace sattva::streamer
