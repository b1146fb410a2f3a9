#pragma once
// sattva-ctl: the admin tool. RunMain parses the common flags (--config, --set, ...) and one
// command, then runs it:
//   migrate [--sql-dir DIR]         apply pending sql/NNN_name.sql migrations
//   create-admin [--email E] [--password-stdin]
//                                   create the first admin (default: config admin_email)
//   demo [--media-dir DIR]          import DIR's audio files and create the stream "demo"
//   probe FILE                      print what the media probe finds, as JSON
// Exit codes: 0 done, 1 failed (database, files), 2 bad command line.
// Everything here runs on one thread; nothing is shared.

#include <string>
#include <vector>

namespace sattva::ctl {

struct CommandLine {
  std::string command;    // "migrate", "create-admin", "demo" or "probe"
  std::string sql_dir;    // migrate; defaults to "sql"
  std::string email;      // create-admin; empty: config admin_email
  bool password_stdin = false;  // create-admin: read the password from standard input
  std::string media_dir;  // demo; empty: config media_dir
  std::string file;       // probe
};

// The usage text (commands and their flags).
std::string Usage();

// Parses the arguments left after the common flags. Accepts "--flag value" and "--flag=value".
// Returns false and sets *error for no command, an unknown command or flag, a missing value, or
// a missing or extra positional argument.
bool ParseCommandLine(const std::vector<std::string>& args, CommandLine* out, std::string* error);

int RunMain(int argc, char** argv);

}  // namespace sattva::ctl
