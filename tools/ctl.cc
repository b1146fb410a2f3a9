#include "tools/ctl.h"

#include <cstring>
#include <iostream>

extern "C" {
#include <libavutil/log.h>
}

#include "common/config.h"
#include "common/log.h"
#include "common/password.h"
#include "common/pg.h"
#include "tools/commands.h"

namespace sattva::ctl {
namespace {

constexpr const char* kProgram = "sattva-ctl";

std::string TrimMessage(std::string msg) {
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

// The flags each command takes, mapped to the CommandLine field they fill.
std::string* FlagTarget(CommandLine* c, const std::string& flag) {
  if (c->command == "migrate" && flag == "--sql-dir") return &c->sql_dir;
  if (c->command == "create-admin" && flag == "--email") return &c->email;
  if (c->command == "demo" && flag == "--media-dir") return &c->media_dir;
  return nullptr;
}

}  // namespace

std::string Usage() {
  return "usage: sattva-ctl [--config FILE] [--set key=value]... COMMAND [ARGS]\n"
         "\n"
         "commands:\n"
         "  migrate [--sql-dir DIR]     apply pending migrations from DIR (default: sql)\n"
         "  create-admin [--email E] [--password-stdin]\n"
         "                              create an admin (default email: config admin_email) with\n"
         "                              the password read from stdin, or a generated one printed\n"
         "                              once; an existing user is left unchanged\n"
         "  demo [--media-dir DIR]      import DIR's audio files as tracks and create the stream\n"
         "                              'demo' (default DIR: config media_dir); idempotent\n"
         "  probe FILE|URL              print what the media probe finds, as JSON\n"
         "\n"
         "exit codes: 0 done, 1 failed, 2 bad command line\n";
}

bool ParseCommandLine(const std::vector<std::string>& args, CommandLine* out, std::string* error) {
  CommandLine c;
  if (args.empty()) {
    *error = "no command given";
    return false;
  }
  c.command = args[0];
  if (c.command != "migrate" && c.command != "create-admin" && c.command != "demo" &&
      c.command != "probe") {
    *error = "unknown command '" + c.command + "'";
    return false;
  }
  std::vector<std::string> positional;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (c.command == "create-admin" && a == "--password-stdin") {
      c.password_stdin = true;
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      std::string flag = a;
      std::string value;
      bool has_value = false;
      if (auto eq = a.find('='); eq != std::string::npos) {
        flag = a.substr(0, eq);
        value = a.substr(eq + 1);
        has_value = true;
      }
      std::string* target = FlagTarget(&c, flag);
      if (target == nullptr) {
        *error = "unknown option '" + flag + "' for " + c.command;
        return false;
      }
      if (!has_value) {
        if (i + 1 >= args.size()) {
          *error = flag + " needs a value";
          return false;
        }
        value = args[++i];
      }
      if (value.empty()) {
        *error = flag + " needs a non-empty value";
        return false;
      }
      *target = value;
    } else {
      positional.push_back(a);
    }
  }
  if (c.command == "probe") {
    if (positional.size() != 1) {
      *error = "probe takes exactly one FILE or URL";
      return false;
    }
    c.file = positional[0];
  } else if (!positional.empty()) {
    *error = "unexpected argument '" + positional[0] + "' for " + c.command;
    return false;
  }
  if (c.command == "migrate" && c.sql_dir.empty()) c.sql_dir = "sql";
  *out = std::move(c);
  return true;
}

int RunMain(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << Usage() << "\n";
      break;  // LoadConfigFromArgs adds the config keys and returns exit code 0
    }
  }
  common::Config config;
  int exit_code = 0;
  std::vector<std::string> rest;
  if (!common::LoadConfigFromArgs(argc, argv, kProgram, &config, &exit_code, &rest)) {
    return exit_code;
  }
  common::LogLevel level;
  if (common::ParseLogLevel(config.GetString("log_level"), &level)) common::SetLogLevel(level);
  common::SetLogComponent("ctl");

  CommandLine cmd;
  std::string error;
  if (!ParseCommandLine(rest, &cmd, &error)) {
    std::cerr << kProgram << ": " << error << "\n\n" << Usage();
    return 2;
  }
  // The probe reports its own errors; FFmpeg's log lines would only repeat them.
  av_log_set_level(AV_LOG_FATAL);

  try {
    common::InitCrypto();
    if (cmd.command == "probe") return Probe(cmd.file, std::cout, std::cerr);

    auto pg = common::Pg::FromConfig(config, kProgram);
    pqxx::connection& conn = pg->Conn();
    if (cmd.command == "migrate") return Migrate(conn, cmd.sql_dir, std::cout);
    if (cmd.command == "create-admin") {
      std::string password;
      if (cmd.password_stdin) {
        std::getline(std::cin, password);
        if (!password.empty() && password.back() == '\r') password.pop_back();
        if (password.size() < kMinAdminPasswordLength) {
          throw UsageError("the password read from stdin must be at least " +
                           std::to_string(kMinAdminPasswordLength) + " characters");
        }
      }
      return CreateAdmin(conn, cmd.email.empty() ? config.GetString("admin_email") : cmd.email,
                         password, std::cout);
    }
    return Demo(conn, cmd.media_dir.empty() ? config.GetString("media_dir") : cmd.media_dir,
                std::cout, std::cerr);
  } catch (const UsageError& e) {
    std::cerr << kProgram << ": " << cmd.command << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << kProgram << ": " << cmd.command << ": " << TrimMessage(e.what()) << "\n";
    return 1;
  }
}

}  // namespace sattva::ctl
