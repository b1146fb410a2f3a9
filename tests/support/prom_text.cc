#include "tests/support/prom_text.h"

#include <cmath>
#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

namespace sattva::testing {

bool ValidatePrometheusText(const std::string& text, std::string* error) {
  static const std::regex kHelp(R"(^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$)");
  static const std::regex kType(
      R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? ([^ ]+)( -?[0-9]+)?$)");
  std::set<std::string> typed;
  std::istringstream in(text);
  std::string line;
  int n = 0, samples = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    std::smatch m;
    if (line.rfind("# HELP ", 0) == 0) {
      if (!std::regex_match(line, kHelp)) {
        *error = "bad HELP at line " + std::to_string(n) + ": " + line;
        return false;
      }
    } else if (line.rfind("# TYPE ", 0) == 0) {
      if (!std::regex_match(line, m, kType)) {
        *error = "bad TYPE at line " + std::to_string(n) + ": " + line;
        return false;
      }
      typed.insert(m[1]);
    } else if (line[0] == '#') {
      continue;
    } else {
      if (!std::regex_match(line, m, kSample)) {
        *error = "bad sample at line " + std::to_string(n) + ": " + line;
        return false;
      }
      std::string name = m[1];
      std::string value = m[5];
      bool known = typed.count(name) > 0;
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        size_t sl = std::string(suffix).size();
        if (name.size() > sl && name.compare(name.size() - sl, sl, suffix) == 0) {
          known = known || typed.count(name.substr(0, name.size() - sl)) > 0;
        }
      }
      if (!known) {
        *error = "sample without a TYPE at line " + std::to_string(n) + ": " + line;
        return false;
      }
      if (value != "+Inf" && value != "-Inf" && value != "NaN") {
        char* end = nullptr;
        std::strtod(value.c_str(), &end);
        if (end == value.c_str() || *end != '\0') {
          *error = "bad value at line " + std::to_string(n) + ": " + line;
          return false;
        }
      }
      ++samples;
    }
  }
  if (samples == 0) {
    *error = "no samples";
    return false;
  }
  return true;
}

double PrometheusValue(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::strtod(line.c_str() + series.size() + 1, nullptr);
  }
  return std::nan("");
}

}  // namespace sattva::testing
