#include "common/migrate.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/log.h"
#include "common/password.h"

namespace sattva::common {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxNameLength = 100;

std::string Label(int version, const std::string& name) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%03d", version);
  return std::string(digits) + "_" + name;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MigrationError("cannot read migration file " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw MigrationError("error reading migration file " + path.string());
  return ss.str();
}

// Releases the session-level advisory lock when a run ends, however it ends. If the connection
// is broken the server has already released it with the session.
class AdvisoryLock {
 public:
  explicit AdvisoryLock(pqxx::connection& conn) : conn_(conn) {
    pqxx::nontransaction n(conn_);
    if (!n.exec_params1("SELECT pg_try_advisory_lock($1)", Migrator::kLockKey)[0].as<bool>()) {
      LOG_INFO << "another migrator is running; waiting for it to finish";
      n.exec_params("SELECT pg_advisory_lock($1)", Migrator::kLockKey);
    }
  }
  AdvisoryLock(const AdvisoryLock&) = delete;
  AdvisoryLock& operator=(const AdvisoryLock&) = delete;
  ~AdvisoryLock() {
    try {
      pqxx::nontransaction n(conn_);
      n.exec_params("SELECT pg_advisory_unlock($1)", Migrator::kLockKey);
    } catch (const std::exception& e) {
      LOG_WARN << "could not release the migration lock: " << e.what();
    }
  }

 private:
  pqxx::connection& conn_;
};

}  // namespace

bool ParseMigrationFileName(const std::string& file_name, int* version, std::string* name) {
  constexpr size_t kDigits = 3;
  const std::string suffix = ".sql";
  if (file_name.size() < kDigits + 1 + 1 + suffix.size()) return false;
  if (file_name.compare(file_name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return false;
  }
  int v = 0;
  for (size_t i = 0; i < kDigits; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(file_name[i]))) return false;
    v = v * 10 + (file_name[i] - '0');
  }
  if (v == 0 || file_name[kDigits] != '_') return false;
  std::string n = file_name.substr(kDigits + 1, file_name.size() - kDigits - 1 - suffix.size());
  if (n.empty() || n.size() > kMaxNameLength) return false;
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  *version = v;
  *name = std::move(n);
  return true;
}

std::vector<MigrationFile> LoadMigrationFiles(const std::string& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    throw MigrationError("cannot read migration directory '" + dir + "': " + ec.message());
  }
  std::vector<MigrationFile> files;
  for (const fs::directory_entry& entry : it) {
    const std::string file_name = entry.path().filename().string();
    if (file_name.empty() || file_name[0] == '.' || entry.path().extension() != ".sql") continue;
    MigrationFile f;
    if (!ParseMigrationFileName(file_name, &f.version, &f.name)) {
      throw MigrationError("malformed migration file name '" + file_name + "' in " + dir +
                           ": expected NNN_name.sql (three digits from 001, then [a-z0-9_])");
    }
    f.file_name = file_name;
    f.path = entry.path().string();
    f.sql = ReadFile(entry.path());
    f.checksum = Sha256Hex(f.sql);
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(),
            [](const MigrationFile& a, const MigrationFile& b) { return a.version < b.version; });
  for (size_t i = 1; i < files.size(); ++i) {
    if (files[i].version == files[i - 1].version) {
      throw MigrationError("two migration files share version " + std::to_string(files[i].version) +
                           ": " + files[i - 1].file_name + " and " + files[i].file_name);
    }
  }
  return files;
}

std::vector<MigrationFile> PlanMigrations(const std::vector<MigrationFile>& files,
                                          const std::vector<AppliedMigration>& applied) {
  std::map<int, const MigrationFile*> by_version;
  for (const auto& f : files) by_version[f.version] = &f;
  int max_applied = 0;
  std::map<int, const AppliedMigration*> applied_by_version;
  for (const auto& a : applied) {
    applied_by_version[a.version] = &a;
    max_applied = std::max(max_applied, a.version);
    auto it = by_version.find(a.version);
    if (it == by_version.end()) {
      throw MigrationError("the database has migration " + Label(a.version, a.name) +
                           " but there is no such file: the database is newer than this code, "
                           "or the wrong --sql-dir was given");
    }
    const MigrationFile& f = *it->second;
    if (f.name != a.name) {
      throw MigrationError("applied migration " + Label(a.version, a.name) + " was renamed to " +
                           f.file_name + "; applied migrations must never change");
    }
    if (f.checksum != a.checksum) {
      throw MigrationError("applied migration " + f.file_name +
                           " has changed since it was applied (checksum " + a.checksum +
                           ", file now " + f.checksum +
                           "); applied migrations must never change: add a new file instead");
    }
  }
  std::vector<MigrationFile> pending;
  for (const auto& f : files) {
    if (applied_by_version.count(f.version) != 0) continue;
    if (f.version < max_applied) {
      throw MigrationError("migration " + f.file_name + " is older than the applied migration " +
                           Label(max_applied, applied_by_version[max_applied]->name) +
                           "; renumber it after the newest applied one");
    }
    pending.push_back(f);
  }
  return pending;
}

Migrator::Migrator(pqxx::connection& conn, std::string sql_dir)
    : conn_(conn), sql_dir_(std::move(sql_dir)) {
  InitCrypto();
}

std::vector<MigrationFile> Migrator::Apply(
    const std::function<void(const MigrationFile&)>& on_applied) {
  // Read and validate the files before touching the database.
  const std::vector<MigrationFile> files = LoadMigrationFiles(sql_dir_);
  AdvisoryLock lock(conn_);
  {
    pqxx::work w(conn_, "schema_migrations");
    w.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY CHECK (version > 0),"
        " name text NOT NULL,"
        " checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    w.commit();
  }
  std::vector<AppliedMigration> applied;
  {
    pqxx::read_transaction r(conn_);
    for (const auto& row :
         r.exec("SELECT version, name, checksum FROM schema_migrations ORDER BY version")) {
      applied.push_back({row[0].as<int>(), row[1].as<std::string>(), row[2].as<std::string>()});
    }
  }
  std::vector<MigrationFile> done;
  for (const MigrationFile& f : PlanMigrations(files, applied)) {
    pqxx::work w(conn_, "migration");
    try {
      w.exec(f.sql);
      w.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    f.version, f.name, f.checksum);
      w.commit();
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const pqxx::sql_error& e) {
      std::string msg = e.what();
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      throw MigrationError("migration " + f.file_name + " failed and was rolled back: " + msg);
    }
    if (on_applied) on_applied(f);
    done.push_back(f);
  }
  return done;
}

}  // namespace sattva::common
