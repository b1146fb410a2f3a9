#pragma once
// Typed configuration. One table of keys (config.cc) with defaults; values come from, in order of
// precedence: --set key=value on the command line, SATTVA_<KEY> environment variables, a config
// file (--config FILE, "key = value" lines, # comments), then the defaults.
// An unknown key or a bad value throws ConfigError with a message naming the key and the source.
// A Config is immutable after Load and safe to read from many threads.

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace sattva::common {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ConfigType { kString, kInt, kBool, kEnum };

struct ConfigKey {
  const char* name;
  ConfigType type;
  const char* default_value;
  const char* help;
  int64_t min = 0;              // kInt only
  int64_t max = INT64_MAX;      // kInt only
  const char* choices = nullptr;  // kEnum only: "a|b|c"
};

// The table of every key Sattva knows.
const std::vector<ConfigKey>& ConfigKeys();

class Config {
 public:
  // Loads defaults, then the optional file, then the environment, then `overrides`
  // ("key=value" strings). Throws ConfigError.
  static Config Load(const std::string& file, const std::vector<std::string>& overrides,
                     char** envp);
  // Defaults only, plus overrides; ignores the environment. For tests.
  static Config FromOverrides(const std::vector<std::string>& overrides);

  const std::string& GetString(const std::string& key) const;
  int64_t GetInt(const std::string& key) const;
  bool GetBool(const std::string& key) const;
  // Where a key's value came from: "default", "file FILE:LINE", "env SATTVA_X", "--set".
  const std::string& Source(const std::string& key) const;
  // key = value lines for --print-config; secrets are masked.
  std::string Dump() const;

 private:
  void Set(const std::string& key, const std::string& value, const std::string& source);
  struct Value {
    std::string raw;
    int64_t i = 0;
    bool b = false;
    std::string source;
  };
  std::map<std::string, Value> values_;
};

// Parses the common daemon flags (--config FILE, --set k=v, --help, --print-config) and loads the
// config. On --help or --print-config it prints and returns false with exit_code 0; on a bad flag
// or bad config it prints a clear error to stderr and returns false with exit_code 1.
bool LoadConfigFromArgs(int argc, char** argv, const char* program, Config* out, int* exit_code,
                        std::vector<std::string>* rest = nullptr);

}  // namespace sattva::common
