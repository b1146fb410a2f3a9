#include "tools/commands.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <system_error>

#include "common/clock_text.h"
#include "common/email.h"
#include "common/json.h"
#include "common/media_probe.h"
#include "common/migrate.h"
#include "common/password.h"

namespace sattva::ctl {
namespace {

namespace fs = std::filesystem;

constexpr const char* kActorLabel = "sattva-ctl";
constexpr const char* kDemoSlug = "demo";
constexpr const char* kDemoTitle = "Demo stream";
constexpr size_t kAdminPasswordBytes = 12;

void Audit(pqxx::work& w, const std::string& action, const std::string& target_type,
           int64_t target_id, const Json::Value& changes) {
  w.exec_params(
      "INSERT INTO audit_log (actor_label, action, target_type, target_id, changes)"
      " VALUES ($1, $2, $3, $4, $5::jsonb)",
      kActorLabel, action, target_type, std::to_string(target_id), common::WriteJson(changes));
}

// Inserts one probed file as a track, or finds the live track another run inserted meanwhile.
// Returns the id and whether this call created it.
std::pair<int64_t, bool> InsertTrack(pqxx::connection& conn, const std::string& source,
                                     const std::string& title, const common::MediaInfo& info,
                                     std::optional<int64_t> size_bytes) {
  pqxx::work w(conn, "demo_track");
  std::optional<int64_t> duration;
  if (info.duration_ms >= 0) duration = info.duration_ms;
  pqxx::result r = w.exec_params(
      "INSERT INTO tracks (source_kind, source, title, artist, duration_ms, codec, sample_rate,"
      " channels, size_bytes) VALUES ('file', $1, $2, $3, $4, $5, $6, $7, $8)"
      " ON CONFLICT (source) WHERE deleted_at IS NULL DO NOTHING RETURNING id",
      source, title, info.artist, duration, info.codec, info.sample_rate, info.channels,
      size_bytes);
  if (r.empty()) {
    int64_t id =
        w.exec_params1("SELECT id FROM tracks WHERE source = $1 AND deleted_at IS NULL", source)[0]
            .as<int64_t>();
    w.commit();
    return {id, false};
  }
  const int64_t id = r[0][0].as<int64_t>();
  Json::Value changes(Json::objectValue);
  changes["source_kind"] = "file";
  changes["source"] = source;
  changes["title"] = title;
  Audit(w, "track.create", "track", id, changes);
  w.commit();
  return {id, true};
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

int Migrate(pqxx::connection& conn, const std::string& sql_dir, std::ostream& out) {
  common::Migrator migrator(conn, sql_dir);
  auto applied = migrator.Apply([&](const common::MigrationFile& f) {
    out << "applied " << f.file_name << "\n" << std::flush;
  });
  if (applied.empty()) out << "database is up to date\n";
  return 0;
}

int CreateAdmin(pqxx::connection& conn, const std::string& raw_email, const std::string& given,
                std::ostream& out) {
  const std::string email = common::NormalizeEmail(raw_email);
  if (email.empty()) {
    throw UsageError("no admin email: pass --email E or set the config key admin_email");
  }
  if (!common::IsValidEmail(email)) throw UsageError("'" + email + "' is not a valid email");

  auto existing = [&]() -> std::optional<std::string> {
    pqxx::read_transaction r(conn);
    pqxx::result rows = r.exec_params("SELECT role FROM users WHERE lower(email) = $1", email);
    if (rows.empty()) return std::nullopt;
    return rows[0][0].as<std::string>();
  };
  auto report_existing = [&](const std::string& role) {
    if (role == "admin") {
      out << "admin " << email << " already exists; password unchanged\n";
      return 0;
    }
    out << "user " << email << " already exists with role " << role
        << "; not changed (promote it from the admin panel)\n";
    return 1;
  };
  if (auto role = existing()) return report_existing(*role);

  const std::string password = given.empty() ? common::RandomToken(kAdminPasswordBytes) : given;
  const std::string hash = common::HashPassword(password);
  pqxx::work w(conn, "create_admin");
  pqxx::result r = w.exec_params(
      "INSERT INTO users (email, password_hash, role, status) VALUES ($1, $2, 'admin', 'active')"
      " ON CONFLICT DO NOTHING RETURNING id",
      email, hash);
  if (r.empty()) {
    // Someone created it between our look-up and the insert.
    w.abort();
    auto role = existing();
    return report_existing(role ? *role : "unknown");
  }
  const int64_t id = r[0][0].as<int64_t>();
  Json::Value changes(Json::objectValue);
  changes["email"] = email;
  changes["role"] = "admin";
  changes["status"] = "active";
  Audit(w, "user.create", "user", id, changes);
  w.commit();
  out << "created admin " << email << "\n";
  if (given.empty()) out << "password: " << password << "\n";
  return 0;
}

int Demo(pqxx::connection& conn, const std::string& media_dir, std::ostream& out,
         std::ostream& err) {
  const std::vector<fs::path> files = ListAudioFiles(media_dir);
  int created = 0;
  int failed = 0;
  int tracks = 0;
  std::optional<int64_t> first_track;
  for (const fs::path& file : files) {
    const std::string source = fs::absolute(file).lexically_normal().string();
    std::optional<int64_t> id;
    {
      pqxx::read_transaction r(conn);
      pqxx::result rows =
          r.exec_params("SELECT id FROM tracks WHERE source = $1 AND deleted_at IS NULL", source);
      if (!rows.empty()) id = rows[0][0].as<int64_t>();
    }
    if (!id) {
      common::MediaInfo info;
      std::string error;
      if (!common::ProbeMedia(source, &info, &error)) {
        err << "skipped: " << error << "\n";
        ++failed;
        continue;
      }
      const std::string title = info.title.empty() ? file.stem().string() : info.title;
      std::error_code ec;
      const auto size = fs::file_size(file, ec);
      std::optional<int64_t> size_bytes;
      if (!ec) size_bytes = static_cast<int64_t>(size);
      auto [track_id, inserted] = InsertTrack(conn, source, title, info, size_bytes);
      id = track_id;
      if (inserted) {
        ++created;
        out << "created track " << track_id << ": " << title
            << (info.artist.empty() ? "" : " by " + info.artist) << " ("
            << FormatDuration(info.duration_ms) << ", " << info.codec << ") from " << source
            << "\n";
      }
    }
    ++tracks;
    if (!first_track) first_track = id;
  }

  std::optional<int64_t> stream_id;
  {
    pqxx::read_transaction r(conn);
    pqxx::result rows = r.exec_params("SELECT id FROM streams WHERE slug = $1", kDemoSlug);
    if (!rows.empty()) stream_id = rows[0][0].as<int64_t>();
  }
  if (!stream_id) {
    if (!first_track) {
      throw std::runtime_error("no playable audio files in " + media_dir +
                               ": the demo stream needs one for its placeholder");
    }
    pqxx::work w(conn, "demo_stream");
    pqxx::result r = w.exec_params(
        // The demo runs around the clock (auto-end off), looping its placeholder until tracks
        // are queued, so /live/demo.ogg plays as soon as `./sattva up` is done.
        "INSERT INTO streams (slug, title, placeholder_track_id, desired_state, auto_end_enabled)"
        " VALUES ($1, $2, $3, 'running', false)"
        " ON CONFLICT (slug) WHERE deleted_at IS NULL DO NOTHING RETURNING id",
        kDemoSlug, kDemoTitle, *first_track);
    if (!r.empty()) {
      const int64_t id = r[0][0].as<int64_t>();
      Json::Value changes(Json::objectValue);
      changes["slug"] = kDemoSlug;
      changes["title"] = kDemoTitle;
      changes["placeholder_track_id"] = common::JsonInt(*first_track);
      changes["desired_state"] = "running";
      changes["auto_end_enabled"] = false;
      Audit(w, "stream.create", "stream", id, changes);
      w.commit();
      ++created;
      out << "created stream " << id << ": " << kDemoSlug << " (" << kDemoTitle
          << "), placeholder track " << *first_track << "\n";
    }
  }
  if (created == 0) {
    out << "everything already existed (" << tracks << " tracks, stream " << kDemoSlug << ")\n";
  }
  if (failed > 0) err << failed << " file(s) could not be probed and were skipped\n";
  return 0;
}

int Probe(const std::string& source, std::ostream& out, std::ostream& err) {
  common::MediaInfo info;
  std::string error;
  if (!common::ProbeMedia(source, &info, &error)) {
    err << "sattva-ctl: probe: " << error << "\n";
    return 1;
  }
  Json::Value v = common::MediaInfoToJson(info);
  v["source"] = source;
  out << common::WriteJson(v) << "\n";
  return 0;
}

bool IsAudioFileName(const std::string& file_name) {
  static const char* const kExtensions[] = {".aac", ".aif",  ".aiff", ".flac", ".m4a",
                                            ".mka", ".mp3",  ".oga",  ".ogg",  ".opus",
                                            ".wav", ".webm", ".wma"};
  if (file_name.empty() || file_name[0] == '.') return false;
  const std::string ext = Lower(fs::path(file_name).extension().string());
  return std::find_if(std::begin(kExtensions), std::end(kExtensions),
                      [&](const char* e) { return ext == e; }) != std::end(kExtensions);
}

std::vector<fs::path> ListAudioFiles(const std::string& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) throw std::runtime_error("cannot read media directory '" + dir + "': " + ec.message());
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : it) {
    std::error_code type_ec;
    if (!entry.is_regular_file(type_ec)) continue;
    if (IsAudioFileName(entry.path().filename().string())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
  return files;
}

std::string FormatDuration(int64_t duration_ms) {
  return duration_ms < 0 ? "?" : common::FormatClock(duration_ms);
}

}  // namespace sattva::ctl
