#include "wsd/event_reader.h"

#include <algorithm>
#include <stdexcept>

#include "common/log.h"

namespace sattva::wsd {

RedisHealth::RedisHealth() : error_("not connected yet") {}

void RedisHealth::SetUp() {
  std::lock_guard<std::mutex> lock(mu_);
  up_ = true;
  error_.clear();
}

void RedisHealth::SetDown(const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  up_ = false;
  error_ = error;
}

bool RedisHealth::Get(std::string* error) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!up_) *error = error_;
  return up_;
}

EventReader::EventReader(EventSource& source, EventRing& ring, RedisHealth& health,
                         WsdMetrics& metrics, ReaderOptions options)
    : source_(source), ring_(ring), health_(health), metrics_(metrics), options_(options) {}

EventReader::~EventReader() { Stop(); }

void EventReader::Start() {
  thread_ = std::thread([this] { Run(); });
}

void EventReader::Stop() {
  {
    std::lock_guard<std::mutex> lock(sleep_mu_);
    stop_ = true;
  }
  sleep_cv_.notify_all();
  ring_.Stop();
  if (thread_.joinable()) thread_.join();
}

void EventReader::SleepFor(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(sleep_mu_);
  sleep_cv_.wait_for(lock, d, [this] { return stop_.load(); });
}

void EventReader::MarkUp() {
  if (up_) return;
  up_ = true;
  health_.SetUp();
  metrics_.redis_up.Set(1);
  if (outage_logged_) {
    LOG_INFO << "redis reachable again; event reader resumed";
  }
  outage_logged_ = false;
}

void EventReader::MarkDown(const std::string& error) {
  up_ = false;
  health_.SetDown(error);
  metrics_.redis_up.Set(0);
  if (outage_logged_) return;  // one log line per outage
  outage_logged_ = true;
  LOG_ERROR << "event reader cannot reach redis: " << error << " (retrying with backoff)";
}

bool EventReader::PushEntry(const StreamEntry& entry, StreamId* last) {
  std::optional<StreamId> id = StreamId::Parse(entry.id);
  if (!id) {
    LOG_WARN << "skipping stream entry with a bad id '" << entry.id << "'";
    return true;
  }
  *last = std::max(*last, *id);
  WireEventPtr event;
  std::string error;
  if (!ToWireEvent(entry, &event, &error)) {
    LOG_WARN << "skipping malformed event " << entry.id << ": " << error;
    return true;
  }
  metrics_.events_received.Increment();
  RingItem item;
  item.kind = RingItem::Kind::kEvent;
  item.event = std::move(event);
  return ring_.Push(std::move(item));
}

void EventReader::Run() {
  bool started = false;
  bool after_failure = false;
  StreamId last{0, 0};
  std::chrono::milliseconds backoff = options_.min_backoff;
  while (!Stopping()) {
    try {
      if (!started || after_failure) {
        std::optional<StreamId> newest = source_.NewestId();
        RingItem item;
        item.head = newest;
        bool announce = false;
        if (!started) {
          last = newest.value_or(StreamId{0, 0});
          item.kind = RingItem::Kind::kHead;
          announce = true;
          LOG_INFO << "event reader started after "
                   << (newest ? newest->ToString() : std::string("an empty stream"));
        } else if (newest.value_or(StreamId{0, 0}) < last) {
          LOG_WARN << "sattva:events was replaced (newest id "
                   << (newest ? newest->ToString() : std::string("none")) << " < last read "
                   << last.ToString() << "); clients must resync";
          last = newest.value_or(StreamId{0, 0});
          item.kind = RingItem::Kind::kReset;
          announce = true;
        }
        started = true;
        after_failure = false;
        MarkUp();
        if (announce && !ring_.Push(std::move(item))) return;
      }
      std::vector<StreamEntry> entries = source_.ReadAfter(last, options_.block_ms, options_.batch);
      MarkUp();
      backoff = options_.min_backoff;
      for (const StreamEntry& e : entries) {
        if (!PushEntry(e, &last)) return;
      }
    } catch (const common::RedisError& e) {
      MarkDown(e.what());
      after_failure = started;
      SleepFor(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
  }
}

Backfiller::Backfiller(EventSource& source, BackfillExchange& exchange, size_t limit)
    : source_(source), exchange_(exchange), limit_(limit) {}

Backfiller::~Backfiller() { Stop(); }

void Backfiller::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Backfiller::Stop() {
  exchange_.Stop();
  if (thread_.joinable()) thread_.join();
}

void Backfiller::Run() {
  BackfillRequest request;
  while (exchange_.NextRequest(&request)) exchange_.Reply(Answer(request));
}

BackfillReply Backfiller::Answer(const BackfillRequest& request) {
  BackfillReply reply;
  reply.session = request.session;
  reply.generation = request.generation;
  if (request.snapshot) {
    reply.backfill = AnswerSnapshot();
    return reply;
  }
  try {
    std::optional<StreamId> oldest = source_.OldestId();
    std::vector<StreamEntry> newest_first = source_.NewestDownTo(request.after, limit_ + 1);
    reply.backfill = PlanBackfill(request.after, oldest, newest_first, limit_);
  } catch (const common::RedisError& e) {
    LOG_WARN << "resume after " << request.after.ToString() << " failed: " << e.what()
             << "; the client must resync";
    reply.backfill = UnavailableBackfill(request.after);
  }
  return reply;
}

Backfill Backfiller::AnswerSnapshot() {
  Backfill b;
  try {
    if (snapshots_ == nullptr) throw std::runtime_error("no snapshot source");
    SnapshotPtr snap = snapshots_->Get();
    // The events after the snapshot's id, read after the snapshot: the session merges them with
    // the live events it held meanwhile, by id.
    std::optional<StreamId> oldest = source_.OldestId();
    std::vector<StreamEntry> newest_first =
        source_.NewestDownTo(snap->last_event_id.value_or(StreamId{0, 0}), limit_ + 1);
    b = PlanSnapshotBackfill(snap->last_event_id, oldest, newest_first, limit_);
    b.snapshot = snap->full;
    b.snapshot_redacted = snap->redacted;
    if (snapshot_failing_) {
      LOG_INFO << "snapshots can be read again";
    }
    snapshot_failing_ = false;
  } catch (const std::exception& e) {
    if (!snapshot_failing_) {
      LOG_WARN << "cannot read a snapshot: " << e.what() << "; clients are told to resync";
    }
    snapshot_failing_ = true;
    b = Backfill{};
    b.resync = true;  // no lower: nothing is assumed about what the client has
  }
  return b;
}

}  // namespace sattva::wsd
