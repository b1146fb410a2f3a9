#include "wsd/redact.h"

namespace sattva::wsd {

bool IsRedactedKey(const std::string& key) {
  return key == "added_by" || key == "queued_by" || key == "actor" || key == "email";
}

bool Redact(Json::Value* v) {
  bool removed = false;
  if (v->isObject()) {
    for (const std::string& key : v->getMemberNames()) {
      if (IsRedactedKey(key)) {
        v->removeMember(key);
        removed = true;
      } else {
        removed = Redact(&(*v)[key]) || removed;
      }
    }
  } else if (v->isArray()) {
    for (Json::Value& item : *v) removed = Redact(&item) || removed;
  }
  return removed;
}

}  // namespace sattva::wsd
