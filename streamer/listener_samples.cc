#include "streamer/listener_samples.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <utility>

#include "common/log.h"

namespace sattva::streamer {
namespace {

constexpr size_t kMaxPending = 100000;
constexpr int kDrainSeconds = 5;
constexpr std::chrono::milliseconds kRetentionRetry{60000};

int64_t FloorMinute(int64_t ms) { return ms - ((ms % 60000) + 60000) % 60000; }

// "{1,2,3}": a PostgreSQL array literal of integers.
template <typename F>
std::string IntArray(const std::vector<ListenerSample>& v, F field) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(field(v[i]));
  }
  out += '}';
  return out;
}

}  // namespace

// --- ListenerSampler ------------------------------------------------------------------------

void ListenerSampler::StartMinute(int64_t minute_ms) {
  cur_ = ListenerSample{};
  cur_.stream_id = stream_id_;
  cur_.minute_ms = minute_ms;
  cur_.peak = count_;
}

void ListenerSampler::AdvanceTo(int64_t now_ms, std::vector<ListenerSample>* closed) {
  if (now_ms <= last_ms_) return;  // no time passed, or the wall clock stepped back
  if (now_ms - last_ms_ > kMaxGapMinutes * kMinuteMs) {
    // A jump, not time we played through: keep what was seen, start again now.
    if (cur_.covered_ms > 0) closed->push_back(cur_);
    StartMinute(FloorMinute(now_ms));
    last_ms_ = now_ms;
    return;
  }
  auto account = [this](int64_t from, int64_t to) {
    const int64_t d = to - from;
    cur_.listener_ms += count_ * d;
    cur_.covered_ms = std::min<int64_t>(kMinuteMs, cur_.covered_ms + d);
  };
  while (now_ms >= cur_.minute_ms + kMinuteMs) {
    const int64_t end = cur_.minute_ms + kMinuteMs;
    account(last_ms_, end);
    closed->push_back(cur_);
    StartMinute(end);
    last_ms_ = end;
  }
  account(last_ms_, now_ms);
  last_ms_ = now_ms;
}

void ListenerSampler::Set(int64_t listeners, std::vector<ListenerSample>* closed) {
  listeners = std::max<int64_t>(0, listeners);
  const int64_t now = common::UnixMillis(clock_.WallNow());
  if (!started_) {
    started_ = true;
    count_ = listeners;
    last_ms_ = now;
    StartMinute(FloorMinute(now));
    return;
  }
  AdvanceTo(now, closed);
  count_ = listeners;
  cur_.peak = std::max(cur_.peak, count_);
}

void ListenerSampler::Tick(std::vector<ListenerSample>* closed) {
  if (!started_) return;
  AdvanceTo(common::UnixMillis(clock_.WallNow()), closed);
}

void ListenerSampler::Close(std::vector<ListenerSample>* closed) {
  if (!started_) return;
  AdvanceTo(common::UnixMillis(clock_.WallNow()), closed);
  if (cur_.covered_ms > 0) closed->push_back(cur_);
  started_ = false;
}

// --- ListenerSampleWriter -------------------------------------------------------------------

ListenerSampleWriter::ListenerSampleWriter(std::unique_ptr<common::Pg> pg,
                                           common::RedisOptions redis, const common::Clock& clock,
                                           ListenerSampleWriterOptions options)
    : pg_(std::move(pg)),
      redis_(std::move(redis)),
      clock_(clock),
      options_(std::move(options)),
      next_retention_(clock.Now()),
      thread_([this] { Run(); }) {}

ListenerSampleWriter::~ListenerSampleWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ListenerSampleWriter::Write(std::vector<ListenerSample> samples) {
  if (samples.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pushed_ += static_cast<int64_t>(samples.size());
    pending_.insert(pending_.end(), samples.begin(), samples.end());
    if (pending_.size() > kMaxPending) {
      const size_t drop = pending_.size() - kMaxPending;
      LOG_ERROR << "postgres is behind by " << pending_.size()
                << " listener samples; dropping the oldest " << drop;
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(drop));
      done_ += static_cast<int64_t>(drop);
    }
  }
  cv_.notify_all();
}

bool ListenerSampleWriter::Flush(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  const int64_t target = pushed_;
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return done_ >= target; });
}

std::vector<ListenerSample> ListenerSampleWriter::Merge(const std::vector<ListenerSample>& in) {
  std::vector<ListenerSample> out;
  std::map<std::pair<int64_t, int64_t>, size_t> at;
  for (const ListenerSample& s : in) {
    auto key = std::make_pair(s.stream_id, s.minute_ms);
    auto it = at.find(key);
    if (it == at.end()) {
      at.emplace(key, out.size());
      out.push_back(s);
      continue;
    }
    ListenerSample& m = out[it->second];
    m.peak = std::max(m.peak, s.peak);
    m.listener_ms += s.listener_ms;
    m.covered_ms = std::min<int64_t>(ListenerSampler::kMinuteMs, m.covered_ms + s.covered_ms);
  }
  return out;
}

void ListenerSampleWriter::WriteBatch(const std::vector<ListenerSample>& batch) {
  pg_->Run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    // Rows of streams that no longer exist are left out (the join), so one cannot fail the rest.
    tx.exec_params(
        "INSERT INTO listener_samples (stream_id, minute, peak_listeners, listener_ms, covered_ms) "
        "SELECT u.sid, to_timestamp(u.ms / 1000), u.peak, u.lms, u.cov "
        "FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::bigint[], $5::int[]) "
        "     AS u(sid, ms, peak, lms, cov) "
        "JOIN streams s ON s.id = u.sid "
        "ON CONFLICT (stream_id, minute) DO UPDATE SET "
        "  peak_listeners = greatest(listener_samples.peak_listeners, excluded.peak_listeners), "
        "  listener_ms = listener_samples.listener_ms + excluded.listener_ms, "
        "  covered_ms = least(60000, listener_samples.covered_ms + excluded.covered_ms)",
        IntArray(batch, [](const ListenerSample& s) { return s.stream_id; }),
        IntArray(batch, [](const ListenerSample& s) { return s.minute_ms; }),
        IntArray(batch, [](const ListenerSample& s) { return s.peak; }),
        IntArray(batch, [](const ListenerSample& s) { return s.listener_ms; }),
        IntArray(batch, [](const ListenerSample& s) { return s.covered_ms; }));
    tx.commit();
  });
}

void ListenerSampleWriter::MaybeDeleteOld() {
  try {
    common::RedisReplyPtr r =
        redis_.Checked({"SET", options_.retention_lock_key, "1", "NX", "PX",
                        std::to_string(options_.retention_every_ms)});
    if (r->type != REDIS_REPLY_STATUS) return;  // another streamer had it this hour
  } catch (const std::exception& e) {
    LOG_WARN << "listener samples retention: redis: " << e.what();
    next_retention_ = clock_.Now() + kRetentionRetry;
    return;
  }
  try {
    int64_t deleted = 0;
    pg_->Run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      pqxx::result r = tx.exec_params(
          "DELETE FROM listener_samples WHERE minute < now() - make_interval(days => $1)",
          static_cast<int>(options_.retention_days));
      deleted = r.affected_rows();
      tx.commit();
    });
    if (deleted > 0) {
      LOG_INFO << "listener samples: deleted " << deleted << " rows older than "
               << options_.retention_days << " days";
    }
  } catch (const std::exception& e) {
    LOG_WARN << "listener samples retention: postgres: " << e.what();
    try {
      redis_.Command({"DEL", options_.retention_lock_key});  // let anyone try again soon
    } catch (const std::exception&) {
    }
    next_retention_ = clock_.Now() + kRetentionRetry;
  }
}

void ListenerSampleWriter::Run() {
  using Steady = std::chrono::steady_clock;
  Steady::time_point drain_deadline{};
  int failures = 0;
  std::vector<ListenerSample> retry;  // a batch that failed, written again first
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (retry.empty()) {
      cv_.wait_until(lock, Steady::now() + std::chrono::seconds(1),
                     [this] { return stop_ || !pending_.empty(); });
    }
    if (stop_ && pending_.empty() && retry.empty()) return;
    if (stop_) {
      if (drain_deadline == Steady::time_point{}) {
        drain_deadline = Steady::now() + std::chrono::seconds(kDrainSeconds);
      } else if (Steady::now() > drain_deadline) {
        LOG_ERROR << "stopping with " << pending_.size() + retry.size()
                  << " listener samples not written";
        return;
      }
    }
    std::vector<ListenerSample> batch;
    batch.swap(retry);
    batch.insert(batch.end(), pending_.begin(), pending_.end());
    pending_.clear();
    const bool retention_due = !stop_ && clock_.Now() >= next_retention_;
    lock.unlock();

    bool ok = true;
    if (!batch.empty()) {
      const std::vector<ListenerSample> merged = Merge(batch);
      try {
        WriteBatch(merged);
        if (failures > 1) {
          LOG_INFO << "listener samples: writes resumed";
        }
        failures = 0;
      } catch (const common::PgError& e) {
        if (failures++ == 0) {
          LOG_WARN << "listener samples write failed, retrying: " << e.what();
        }
        ok = false;
        retry = merged;
      } catch (const std::exception& e) {
        // Wrong for this data: retrying cannot help.
        LOG_ERROR << "listener samples dropped: " << e.what();
      }
    }
    if (retention_due) {
      next_retention_ = clock_.Now() + std::chrono::milliseconds(options_.retention_every_ms);
      MaybeDeleteOld();
    }

    lock.lock();
    if (ok) {
      // Everything taken this round is written, including an earlier failed batch.
      done_ = pushed_ - static_cast<int64_t>(pending_.size());
      cv_.notify_all();
    } else {
      cv_.wait_for(lock, std::chrono::milliseconds(std::min(2000, 100 * failures)),
                   [this] { return stop_; });
    }
  }
}

}  // namespace sattva::streamer
