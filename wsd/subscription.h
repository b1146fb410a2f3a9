#pragma once
// Which event types one client wants. Not thread-safe (one per client, on the service thread).

#include <set>
#include <string>
#include <vector>

namespace sattva::wsd {

class Subscription {
 public:
  // A new subscription matches every type.
  Subscription() = default;

  // Replaces the set. An empty list, or one that contains "*", matches every type.
  void Set(const std::vector<std::string>& types);
  bool Matches(const std::string& type) const;
  bool matches_all() const { return all_; }

 private:
  bool all_ = true;
  std::set<std::string> types_;
};

}  // namespace sattva::wsd
