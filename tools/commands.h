#pragma once
// The sattva-ctl commands. Each writes its report to `out` (and per-item problems to `err`) and
// returns the process exit code; a failure that stops the command throws (std::exception), and
// RunMain turns it into one line on stderr and exit code 1. Not thread-safe: one connection.

#include <filesystem>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace sattva::ctl {

// Thrown for input the operator must fix (a malformed email): exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Applies pending migrations from `sql_dir`, one line each, or prints "database is up to date".
int Migrate(pqxx::connection& conn, const std::string& sql_dir, std::ostream& out);

// Creates an active admin with a random password and prints "created admin E" and
// "password: P". When a user with that email exists it changes nothing: for an admin it prints
// "admin E already exists; password unchanged" and returns 0; for another role it says so and
// returns 1. Throws UsageError for an empty or malformed email.
// An empty `password` generates one and prints it once.
inline constexpr size_t kMinAdminPasswordLength = 10;
int CreateAdmin(pqxx::connection& conn, const std::string& email, const std::string& password,
                std::ostream& out);

// Imports every audio file of `media_dir` (not recursive, sorted by name) as a track unless a
// live track has its absolute path, then creates the stream "demo" with the first track as its
// placeholder unless a stream with that slug exists. Files that fail to probe are reported on
// `err` and skipped. Running it twice changes nothing the second time.
int Demo(pqxx::connection& conn, const std::string& media_dir, std::ostream& out,
         std::ostream& err);

// Prints the probe result of `source` as one line of JSON; on failure prints the reason to
// `err` and returns 1.
int Probe(const std::string& source, std::ostream& out, std::ostream& err);

// True for the file extensions demo imports (.mp3, .ogg, .opus, .flac, .wav, .m4a, ...),
// case-insensitive.
bool IsAudioFileName(const std::string& file_name);

// The regular files of `dir` with audio extensions, not hidden, sorted by file name, not
// recursive. Throws std::runtime_error when `dir` cannot be read.
std::vector<std::filesystem::path> ListAudioFiles(const std::string& dir);

// "3:07" for 187000 ms, "1:02:03" past an hour, "?" for a negative (unknown) duration.
std::string FormatDuration(int64_t duration_ms);

}  // namespace sattva::ctl
