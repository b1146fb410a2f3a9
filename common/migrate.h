#pragma once
// Schema migrations: sql/NNN_name.sql files applied in version order, each exactly once.
//
// Each file runs in its own transaction together with the INSERT of its schema_migrations row,
// so a file is either fully applied and recorded or not at all. The whole run holds a
// session-level advisory lock, so two migrators (two hosts starting at once) cannot race; the
// second waits and then finds nothing to do.
//
// The migrator refuses to run (MigrationError, nothing applied) when:
//   - a *.sql file name in the directory is not NNN_name.sql (three digits, then [a-z0-9_]),
//   - two files share a version,
//   - an applied file's checksum (SHA-256 of its bytes) or name has changed,
//   - the database has a version that no file has (it is newer than this code),
//   - a pending file's version is lower than the highest applied one (out of order).
// Files other than *.sql, and hidden files, are ignored.
//
// Migration files must not contain transaction control or CREATE INDEX CONCURRENTLY.
//
// The pure functions (file-name parsing, loading, planning) are thread-safe. A Migrator uses one
// connection and is not thread-safe.

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace sattva::common {

class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MigrationFile {
  int version = 0;
  std::string name;       // "initial" for 001_initial.sql
  std::string file_name;  // "001_initial.sql"
  std::string path;
  std::string checksum;  // lower-case hex SHA-256 of sql
  std::string sql;
};

struct AppliedMigration {
  int version = 0;
  std::string name;
  std::string checksum;
};

// Parses "001_initial.sql" into version 1 and name "initial". Returns false for anything that is
// not exactly three digits (not 000), an underscore, a name of [a-z0-9_] (1..100 chars), ".sql".
bool ParseMigrationFileName(const std::string& file_name, int* version, std::string* name);

// Reads every *.sql file in `dir` (not recursive), sorted by version. Throws MigrationError on an
// unreadable directory or file, a malformed name, or a duplicate version.
std::vector<MigrationFile> LoadMigrationFiles(const std::string& dir);

// Given the files on disk (sorted by version) and the rows of schema_migrations, returns the
// files still to apply, in order. Throws MigrationError when the two disagree (see above).
std::vector<MigrationFile> PlanMigrations(const std::vector<MigrationFile>& files,
                                          const std::vector<AppliedMigration>& applied);

class Migrator {
 public:
  // |conn| must outlive the Migrator.
  Migrator(pqxx::connection& conn, std::string sql_dir);
  Migrator(const Migrator&) = delete;
  Migrator& operator=(const Migrator&) = delete;

  // Creates schema_migrations if needed and applies the pending files in order, calling
  // `on_applied` after each commit. Returns the files applied (empty: up to date). Throws
  // MigrationError for a refused run or a failed file (earlier files stay applied), and
  // pqxx errors for connection trouble.
  std::vector<MigrationFile> Apply(
      const std::function<void(const MigrationFile&)>& on_applied = nullptr);

  // The key of the session-level advisory lock a run holds ("sattva-migrate").
  static constexpr long long kLockKey = 0x7361747476614d47LL;

 private:
  pqxx::connection& conn_;
  std::string sql_dir_;
};

}  // namespace sattva::common
