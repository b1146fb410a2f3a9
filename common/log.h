#pragma once
// Levelled one-line logs to stderr:
//   2026-11-25T20:12:25.123Z INFO  fcgi  listening on var/run/fcgi.sock
// Newlines in messages are escaped so that every record stays one line. Thread-safe.

#include <sstream>
#include <string>

namespace sattva::common {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug|info|warn|error"; returns false on anything else.
bool ParseLogLevel(const std::string& s, LogLevel* out);
void SetLogLevel(LogLevel level);
void SetLogComponent(const std::string& component);
bool LogEnabled(LogLevel level);
void LogWrite(LogLevel level, const std::string& message);
// Formats one record (no trailing newline). Exposed for tests.
std::string FormatLogLine(LogLevel level, const std::string& component, const std::string& message,
                          long long unix_ms);

namespace internal {
class LogStream {
 public:
  explicit LogStream(LogLevel level) : level_(level) {}
  ~LogStream() { LogWrite(level_, os_.str()); }
  template <typename T>
  LogStream& operator<<(const T& v) {
    os_ << v;
    return *this;
  }

 private:
  LogLevel level_;
  std::ostringstream os_;
};
}  // namespace internal

}  // namespace sattva::common

#define SATTVA_LOG(level)                                                        \
  if (!::sattva::common::LogEnabled(::sattva::common::LogLevel::level)) {       \
  } else                                                                         \
    ::sattva::common::internal::LogStream(::sattva::common::LogLevel::level)

#define LOG_DEBUG SATTVA_LOG(kDebug)
#define LOG_INFO SATTVA_LOG(kInfo)
#define LOG_WARN SATTVA_LOG(kWarn)
#define LOG_ERROR SATTVA_LOG(kError)
