#include "common/clock_text.h"

#include <algorithm>
#include <cstdio>

namespace sattva::common {

std::string FormatClock(int64_t ms) {
  const long long s = static_cast<long long>(std::max<int64_t>(0, ms) / 1000);
  char buf[48];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  }
  return buf;
}

}  // namespace sattva::common
