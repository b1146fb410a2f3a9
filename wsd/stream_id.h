#pragma once
// Redis Stream entry ids ("<ms>-<seq>"), parsed so that they can be compared. The event id of
// every Sattva event is one of these (docs/architecture.md, "Events").

#include <cstdint>
#include <optional>
#include <string>

namespace sattva::wsd {

struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;

  // Accepts "<ms>-<seq>" and "<ms>" (taken as "<ms>-0"); digits only, no sign, no spaces,
  // each part at most 20 digits and within uint64. Returns nullopt on anything else.
  static std::optional<StreamId> Parse(const std::string& s);
  std::string ToString() const;

  friend bool operator==(const StreamId& a, const StreamId& b) {
    return a.ms == b.ms && a.seq == b.seq;
  }
  friend bool operator!=(const StreamId& a, const StreamId& b) { return !(a == b); }
  friend bool operator<(const StreamId& a, const StreamId& b) {
    return a.ms != b.ms ? a.ms < b.ms : a.seq < b.seq;
  }
  friend bool operator>(const StreamId& a, const StreamId& b) { return b < a; }
  friend bool operator<=(const StreamId& a, const StreamId& b) { return !(b < a); }
  friend bool operator>=(const StreamId& a, const StreamId& b) { return !(a < b); }
};

}  // namespace sattva::wsd
