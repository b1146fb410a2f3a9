#include "streamer/records.h"

#include <chrono>

#include "common/log.h"

namespace sattva::streamer {
namespace {

constexpr size_t kMaxQueued = 100000;
constexpr int kDrainSeconds = 5;

}  // namespace

Records::Records(std::unique_ptr<common::Pg> pg)
    : pg_(std::move(pg)), thread_([this] { Run(); }) {}

Records::~Records() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Records::Push(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (tasks_.size() >= kMaxQueued) {
      LOG_ERROR << "postgres is behind by " << tasks_.size() << " writes; dropping the oldest";
      tasks_.pop_front();
      ++done_;
    }
    tasks_.push_back(std::move(task));
    ++pushed_;
  }
  cv_.notify_all();
}

void Records::Run() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point drain_deadline{};
  int failures = 0;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
    if (tasks_.empty()) return;  // stopping with nothing left
    if (stop_ && drain_deadline == Clock::time_point{}) {
      drain_deadline = Clock::now() + std::chrono::seconds(kDrainSeconds);
    }
    if (stop_ && Clock::now() > drain_deadline) {
      LOG_ERROR << "stopping with " << tasks_.size() << " postgres writes not done";
      return;
    }
    Task task = tasks_.front();
    lock.unlock();
    bool ok = false;
    try {
      pg_->Run([&](pqxx::connection& c) { task(c); });
      ok = true;
    } catch (const common::PgError& e) {
      if (failures++ == 0) {
        LOG_WARN << "postgres write failed, retrying: " << e.what();
      }
    } catch (const std::exception& e) {
      // The statement itself is wrong for this data (a constraint): retrying cannot help.
      LOG_ERROR << "postgres write dropped: " << e.what();
      ok = true;
    }
    lock.lock();
    if (ok) {
      if (failures > 1) {
        LOG_INFO << "postgres writes resumed";
      }
      failures = 0;
      tasks_.pop_front();
      ++done_;
      cv_.notify_all();
    } else {
      cv_.wait_for(lock, std::chrono::milliseconds(std::min(2000, 100 * failures)),
                   [this] { return stop_; });
    }
  }
}

bool Records::Flush(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  const int64_t target = pushed_;
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return done_ >= target; });
}

void Records::OpenSession(int64_t sid, const std::string& at) {
  Push([sid, at](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params(
        "INSERT INTO stream_sessions (stream_id, started_at) VALUES ($1, $2::timestamptz) "
        "ON CONFLICT (stream_id) WHERE ended_at IS NULL DO NOTHING",
        sid, at);
    tx.commit();
  });
}

void Records::EndSession(int64_t sid, const std::string& reason, const std::string& detail,
                         const std::string& at) {
  Push([sid, reason, detail, at](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params(
        "UPDATE stream_sessions SET ended_at = greatest(started_at, $2::timestamptz), "
        "end_reason = $3, end_detail = nullif($4, '') WHERE stream_id = $1 AND ended_at IS NULL",
        sid, at, reason, detail);
    tx.commit();
  });
}

void Records::TrackStarted(int64_t sid, std::optional<int64_t> track_id, const std::string& item_id,
                           const std::string& at, std::optional<int64_t> queued_by) {
  Push([sid, track_id, item_id, at, queued_by](pqxx::connection& c) {
    pqxx::work tx(c);
    // A resumed item (failover) already has its row. Track and user ids that no longer exist
    // become NULL rather than failing the foreign key.
    pqxx::result r = tx.exec_params(
        "INSERT INTO play_history (stream_id, session_id, track_id, queue_item_id, started_at, "
        "                          queued_by) "
        "SELECT $1, (SELECT id FROM stream_sessions WHERE stream_id = $1 AND ended_at IS NULL), "
        "       (SELECT id FROM tracks WHERE id = $2), $3, $4::timestamptz, "
        "       (SELECT id FROM users WHERE id = $5) "
        "WHERE NOT EXISTS (SELECT 1 FROM play_history WHERE stream_id = $1 "
        "                  AND queue_item_id = $3 AND ended_at IS NULL)",
        sid, track_id, item_id, at, queued_by);
    if (r.affected_rows() > 0) {
      tx.exec_params(
          "UPDATE stream_sessions SET tracks_played = tracks_played + 1 "
          "WHERE stream_id = $1 AND ended_at IS NULL",
          sid);
    }
    tx.commit();
  });
}

void Records::TrackEnded(int64_t sid, const std::string& item_id, const std::string& reason,
                         const std::string& error, const std::string& at) {
  Push([sid, item_id, reason, error, at](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params(
        "UPDATE play_history SET ended_at = greatest(started_at, $3::timestamptz), "
        "end_reason = $4, error = nullif($5, '') "
        "WHERE stream_id = $1 AND queue_item_id = $2 AND ended_at IS NULL",
        sid, item_id, at, reason, error);
    tx.commit();
  });
}

void Records::NoteListeners(int64_t sid, int64_t listeners) {
  Push([sid, listeners](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params(
        "UPDATE stream_sessions SET peak_listeners = greatest(peak_listeners, $2) "
        "WHERE stream_id = $1 AND ended_at IS NULL",
        sid, listeners);
    tx.commit();
  });
}

std::optional<TrackSource> Catalog::FindTrack(int64_t track_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<TrackSource> out;
  pg_->Run([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    pqxx::result r = tx.exec_params(
        "SELECT id, source, title, artist, coalesce(duration_ms, 0) FROM tracks "
        "WHERE id = $1 AND deleted_at IS NULL",
        track_id);
    if (r.empty()) return;
    TrackSource t;
    t.id = r[0][0].as<int64_t>();
    t.source = r[0][1].as<std::string>();
    t.title = r[0][2].as<std::string>();
    t.artist = r[0][3].as<std::string>();
    t.duration_ms = r[0][4].as<int64_t>();
    out = t;
  });
  return out;
}

std::vector<StreamSpec> Catalog::RunningStreams() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<StreamSpec> out;
  pg_->Run([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    pqxx::result r = tx.exec(
        "SELECT s.id, s.slug, s.auto_end_enabled, s.auto_end_timeout_s, t.id, t.source, "
        "       t.title, t.artist, coalesce(t.duration_ms, 0), s.title "
        "FROM streams s LEFT JOIN tracks t "
        "  ON t.id = s.placeholder_track_id AND t.deleted_at IS NULL "
        "WHERE s.desired_state = 'running' AND s.deleted_at IS NULL ORDER BY s.id");
    out.reserve(r.size());
    for (const auto& row : r) {
      StreamSpec s;
      s.id = row[0].as<int64_t>();
      s.slug = row[1].as<std::string>();
      s.auto_end_enabled = row[2].as<bool>();
      s.auto_end_timeout_s = row[3].as<int64_t>();
      s.title = row[9].as<std::string>();
      if (!row[4].is_null()) {
        TrackSource t;
        t.id = row[4].as<int64_t>();
        t.source = row[5].as<std::string>();
        t.title = row[6].as<std::string>();
        t.artist = row[7].as<std::string>();
        t.duration_ms = row[8].as<int64_t>();
        s.placeholder = t;
      }
      out.push_back(std::move(s));
    }
  });
  return out;
}

bool Catalog::AutoEnd(int64_t sid, const std::string& at) {
  std::lock_guard<std::mutex> lock(mu_);
  bool ended = false;
  pg_->Run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    pqxx::result r = tx.exec_params(
        "UPDATE streams SET desired_state = 'stopped' "
        "WHERE id = $1 AND desired_state = 'running' AND deleted_at IS NULL",
        sid);
    ended = r.affected_rows() > 0;
    if (ended) {
      tx.exec_params(
          "UPDATE stream_sessions SET ended_at = greatest(started_at, $2::timestamptz), "
          "end_reason = 'auto_end', end_detail = 'no listeners' "
          "WHERE stream_id = $1 AND ended_at IS NULL",
          sid, at);
    }
    tx.commit();
  });
  return ended;
}

}  // namespace sattva::streamer
