#include "wsd/stream_id.h"

namespace sattva::wsd {
namespace {

bool ParseU64(const std::string& s, size_t begin, size_t end, uint64_t* out) {
  if (begin >= end || end - begin > 20) return false;
  uint64_t v = 0;
  for (size_t i = begin; i < end; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

}  // namespace

std::optional<StreamId> StreamId::Parse(const std::string& s) {
  StreamId id;
  size_t dash = s.find('-');
  if (dash == std::string::npos) {
    if (!ParseU64(s, 0, s.size(), &id.ms)) return std::nullopt;
    return id;
  }
  if (!ParseU64(s, 0, dash, &id.ms) || !ParseU64(s, dash + 1, s.size(), &id.seq)) {
    return std::nullopt;
  }
  return id;
}

std::string StreamId::ToString() const { return std::to_string(ms) + "-" + std::to_string(seq); }

}  // namespace sattva::wsd
