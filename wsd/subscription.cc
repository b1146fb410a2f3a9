#include "wsd/subscription.h"

namespace sattva::wsd {

void Subscription::Set(const std::vector<std::string>& types) {
  types_.clear();
  all_ = types.empty();
  for (const std::string& t : types) {
    if (t == "*") all_ = true;
    types_.insert(t);
  }
  if (all_) types_.clear();
}

bool Subscription::Matches(const std::string& type) const { return all_ || types_.count(type) > 0; }

}  // namespace sattva::wsd
