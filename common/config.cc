#include "common/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include <unistd.h>

namespace sattva::common {
namespace {

constexpr int64_t kMaxInt = INT64_MAX;

const std::vector<ConfigKey> kKeys = {
    {"log_level", ConfigType::kEnum, "info", "Lowest log level written", 0, 0,
     "debug|info|warn|error"},
    {"pg_dsn", ConfigType::kString, "host=127.0.0.1 port=5433 dbname=sattva user=sattva",
     "libpq connection string for PostgreSQL"},
    {"pg_connect_timeout_s", ConfigType::kInt, "2", "PostgreSQL connect timeout, seconds", 1, 60},
    {"redis_host", ConfigType::kString, "127.0.0.1", "Redis host"},
    {"redis_port", ConfigType::kInt, "6380", "Redis TCP port", 1, 65535},
    {"redis_password", ConfigType::kString, "", "Redis AUTH password (empty: none)"},
    {"redis_timeout_ms", ConfigType::kInt, "1000", "Redis connect and command timeout, ms", 10,
     60000},
    {"events_maxlen", ConfigType::kInt, "10000", "Approximate length sattva:events is trimmed to",
     100, 10000000},
    {"fcgi_socket", ConfigType::kString, "var/run/fcgi.sock",
     "FastCGI listen address: a unix socket path, or HOST:PORT"},
    {"fcgi_threads", ConfigType::kInt, "8", "FastCGI worker threads", 1, 256},
    {"fcgi_max_body_bytes", ConfigType::kInt, "1048576", "Largest request body fcgi accepts", 0,
     kMaxInt},
    {"shutdown_grace_ms", ConfigType::kInt, "5000",
     "How long in-flight work may run after SIGTERM, ms", 0, 600000},
    {"wsd_host", ConfigType::kString, "127.0.0.1", "sattva-wsd listen address"},
    {"wsd_port", ConfigType::kInt, "8081", "sattva-wsd listen port (0: ephemeral)", 0, 65535},
    {"wsd_max_clients", ConfigType::kInt, "10000", "Most WebSocket clients at once", 1, 1000000},
    {"wsd_client_queue", ConfigType::kInt, "1024",
     "Messages queued for one slow client before it is dropped", 8, 1000000},
    {"wsd_ping_interval_s", ConfigType::kInt, "20", "Idle seconds before wsd pings a client", 1,
     3600},
    {"stats_interval_s", ConfigType::kInt, "5",
     "Seconds between the stats messages wsd sends to WebSocket clients", 1, 3600},
    {"wsd_max_per_session", ConfigType::kInt, "20",
     "Most WebSocket connections of one login session", 1, 1000000},
    {"wsd_max_per_address", ConfigType::kInt, "200",
     "Most WebSocket connections from one client address (API tokens excepted)", 1, 1000000},
    {"wsd_max_per_token", ConfigType::kInt, "20000",
     "Most WebSocket connections of one API token", 1, 1000000},
    {"streamer_host", ConfigType::kString, "127.0.0.1", "sattva-streamer listen address"},
    {"streamer_port", ConfigType::kInt, "8082", "sattva-streamer listen port (0: any free port)", 0,
     65535},
    {"streamer_id", ConfigType::kString, "", "Streamer instance id (empty: HOSTNAME-PID)"},
    {"streamer_heartbeat_ttl_ms", ConfigType::kInt, "5000", "TTL of the streamer heartbeat key",
     500, 600000},
    {"streamer_lease_ttl_ms", ConfigType::kInt, "3000",
     "TTL of a stream's lease; a dead streamer's streams move after at most this long", 300,
     600000},
    {"streamer_reconcile_ms", ConfigType::kInt, "1000",
     "How often a streamer re-reads which streams should run and claims free ones", 50, 600000},
    {"streamer_max_streams", ConfigType::kInt, "200", "Most streams one streamer plays at once", 1,
     100000},
    {"default_placeholder", ConfigType::kString, "",
     "Audio file looped while a queue is empty and its stream has no placeholder (empty: silence)"},
    {"bridge_dir", ConfigType::kString, "var/run/bridge",
     "Directory of the voice-call bridge sockets, one <slug>.sock per stream"},
    {"live_burst_ms", ConfigType::kInt, "500", "Recent audio a new live listener gets at once, ms",
     0, 10000},
    {"live_max_lag_ms", ConfigType::kInt, "5000",
     "How far a live listener may fall behind before it is dropped, ms", 500, 120000},
    {"live_max_listeners", ConfigType::kInt, "2000", "Most live-mount listeners one streamer serves",
     1, 1000000},
    {"listener_samples_retention_days", ConfigType::kInt, "30",
     "Days the per-minute listener samples (the charts) are kept", 1, 3650},
    {"media_dir", ConfigType::kString, "var/media", "Directory that holds audio files"},
    {"upload_max_bytes", ConfigType::kInt, "209715200",
     "Largest audio file POST /api/v1/tracks accepts as an upload", 1, kMaxInt},
    {"probe_timeout_ms", ConfigType::kInt, "15000",
     "How long probing a new track (file or URL) may take, ms", 100, 600000},
    {"public_url", ConfigType::kString, "http://127.0.0.1:8080", "Public base URL of the site"},
    {"admin_email", ConfigType::kString, "", "Email of the first admin (sattva-ctl create-admin)"},
    {"queue_max_length", ConfigType::kInt, "10000", "Most items one stream's queue may hold", 1,
     1000000},
    {"templates_dir", ConfigType::kString, "templates", "Directory of the admin page templates"},
    {"session_idle_timeout_s", ConfigType::kInt, "1800", "Sessions end after this long idle", 60,
     2592000},
    {"session_absolute_timeout_s", ConfigType::kInt, "43200",
     "Sessions end this long after login, however active", 60, 31536000},
    {"login_ip_limit", ConfigType::kInt, "5", "Login attempts allowed per IP per window", 1,
     1000000},
    {"login_ip_window_s", ConfigType::kInt, "30", "Window of the per-IP login limit, seconds", 1,
     86400},
    {"login_account_failure_limit", ConfigType::kInt, "100",
     "Failed logins allowed per account per window", 1, 1000000},
    {"login_account_window_s", ConfigType::kInt, "3600",
     "Window of the per-account failure limit, seconds", 1, 604800},
};

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

const ConfigKey* FindKey(const std::string& name) {
  for (const auto& k : kKeys) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

std::string EnvName(const std::string& key) {
  std::string out = "SATTVA_";
  for (char c : key) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool IsSecret(const std::string& key) { return key.find("password") != std::string::npos; }

}  // namespace

const std::vector<ConfigKey>& ConfigKeys() { return kKeys; }

void Config::Set(const std::string& key, const std::string& value, const std::string& source) {
  const ConfigKey* k = FindKey(key);
  if (k == nullptr) {
    throw ConfigError("unknown config key '" + key + "' (from " + source +
                      "); run with --help for the list of keys");
  }
  Value v;
  v.raw = value;
  v.source = source;
  const std::string where = "config key '" + key + "' (from " + source + ")";
  switch (k->type) {
    case ConfigType::kString:
      break;
    case ConfigType::kInt: {
      if (value.empty()) throw ConfigError(where + ": expected an integer, got an empty value");
      errno = 0;
      char* end = nullptr;
      long long n = std::strtoll(value.c_str(), &end, 10);
      if (errno != 0 || end == value.c_str() || *end != '\0') {
        throw ConfigError(where + ": expected an integer, got '" + value + "'");
      }
      if (n < k->min || n > k->max) {
        throw ConfigError(where + ": " + value + " is out of range " + std::to_string(k->min) +
                          ".." + std::to_string(k->max));
      }
      v.i = n;
      break;
    }
    case ConfigType::kBool: {
      std::string l = value;
      std::transform(l.begin(), l.end(), l.begin(), ::tolower);
      if (l == "1" || l == "true" || l == "yes" || l == "on") {
        v.b = true;
      } else if (l == "0" || l == "false" || l == "no" || l == "off") {
        v.b = false;
      } else {
        throw ConfigError(where + ": expected true or false, got '" + value + "'");
      }
      break;
    }
    case ConfigType::kEnum: {
      std::stringstream ss(k->choices);
      std::string choice;
      bool ok = false;
      while (std::getline(ss, choice, '|')) ok = ok || choice == value;
      if (!ok) {
        throw ConfigError(where + ": '" + value + "' is not one of " + k->choices);
      }
      break;
    }
  }
  values_[key] = std::move(v);
}

Config Config::FromOverrides(const std::vector<std::string>& overrides) {
  Config c;
  for (const auto& k : kKeys) c.Set(k.name, k.default_value, "default");
  for (const auto& o : overrides) {
    auto eq = o.find('=');
    if (eq == std::string::npos) throw ConfigError("--set expects key=value, got '" + o + "'");
    c.Set(Trim(o.substr(0, eq)), Trim(o.substr(eq + 1)), "--set");
  }
  return c;
}

Config Config::Load(const std::string& file, const std::vector<std::string>& overrides,
                    char** envp) {
  Config c;
  for (const auto& k : kKeys) c.Set(k.name, k.default_value, "default");
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) throw ConfigError("cannot read config file '" + file + "': " + std::strerror(errno));
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      std::string t = Trim(line);
      if (t.empty() || t[0] == '#') continue;
      auto eq = t.find('=');
      const std::string where = "file " + file + ":" + std::to_string(lineno);
      if (eq == std::string::npos) throw ConfigError(where + ": expected key = value");
      c.Set(Trim(t.substr(0, eq)), Trim(t.substr(eq + 1)), where);
    }
  }
  for (char** e = envp; e != nullptr && *e != nullptr; ++e) {
    std::string kv = *e;
    if (kv.rfind("SATTVA_", 0) != 0) continue;
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string name = kv.substr(0, eq);
    std::string key = name.substr(7);
    std::transform(key.begin(), key.end(), key.begin(), ::tolower);
    if (FindKey(key) == nullptr) {
      throw ConfigError("unknown environment variable " + name +
                        ": no config key '" + key + "'; run with --help for the list of keys");
    }
    c.Set(key, kv.substr(eq + 1), "env " + name);
  }
  for (const auto& o : overrides) {
    auto eq = o.find('=');
    if (eq == std::string::npos) throw ConfigError("--set expects key=value, got '" + o + "'");
    c.Set(Trim(o.substr(0, eq)), Trim(o.substr(eq + 1)), "--set");
  }
  return c;
}

const std::string& Config::GetString(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw ConfigError("no config key '" + key + "'");
  return it->second.raw;
}

int64_t Config::GetInt(const std::string& key) const {
  const ConfigKey* k = FindKey(key);
  if (k == nullptr || k->type != ConfigType::kInt) throw ConfigError("'" + key + "' is not an int");
  return values_.at(key).i;
}

bool Config::GetBool(const std::string& key) const {
  const ConfigKey* k = FindKey(key);
  if (k == nullptr || k->type != ConfigType::kBool) throw ConfigError("'" + key + "' is not a bool");
  return values_.at(key).b;
}

const std::string& Config::Source(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw ConfigError("no config key '" + key + "'");
  return it->second.source;
}

std::string Config::Dump() const {
  std::string out;
  for (const auto& k : kKeys) {
    const Value& v = values_.at(k.name);
    out += k.name;
    out += " = ";
    out += (IsSecret(k.name) && !v.raw.empty()) ? "********" : v.raw;
    out += "    # " + v.source + "\n";
  }
  return out;
}

bool LoadConfigFromArgs(int argc, char** argv, const char* program, Config* out, int* exit_code,
                        std::vector<std::string>* rest) {
  std::string file;
  std::vector<std::string> sets;
  bool print = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) throw ConfigError(std::string(flag) + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--help" || a == "-h") {
        std::cout << "usage: " << program
                  << " [--config FILE] [--set key=value]... [--print-config]\n\nconfig keys:\n";
        for (const auto& k : kKeys) {
          std::cout << "  " << k.name << " (" << EnvName(k.name) << ", default '"
                    << k.default_value << "')  " << k.help << "\n";
        }
        *exit_code = 0;
        return false;
      } else if (a == "--config") {
        file = value("--config");
      } else if (a == "--set") {
        sets.push_back(value("--set"));
      } else if (a == "--print-config") {
        print = true;
      } else if (rest != nullptr) {
        rest->push_back(a);
      } else {
        throw ConfigError("unknown argument '" + a + "'; see --help");
      }
    } catch (const ConfigError& e) {
      std::cerr << program << ": " << e.what() << "\n";
      *exit_code = 1;
      return false;
    }
  }
  try {
    *out = Config::Load(file, sets, environ);
  } catch (const ConfigError& e) {
    std::cerr << program << ": bad configuration: " << e.what() << "\n";
    *exit_code = 1;
    return false;
  }
  if (print) {
    std::cout << out->Dump();
    *exit_code = 0;
    return false;
  }
  *exit_code = 0;
  return true;
}

}  // namespace sattva::common
