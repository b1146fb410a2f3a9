#include "fcgi/admin/view_helpers.h"

#include <algorithm>
#include <cctype>

#include "common/json.h"
#include "fcgi/admin/views.h"

namespace sattva::fcgi::views {

using ctemplate::TemplateDictionary;

std::string First(const Query& q, const std::string& key) {
  auto it = q.find(key);
  return it == q.end() ? std::string() : it->second;
}

[[noreturn]] void Invalid(const std::string& message) {
  throw HttpError(422, "validation_failed", message);
}

// A small positive integer query parameter; absent or empty gives `def`.
int QueryInt(const Query& q, const std::string& key, int def, int min, int max) {
  const std::string v = First(q, key);
  if (v.empty()) return def;
  bool ok =
      v.size() <= 9 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  int n = ok ? std::stoi(v) : 0;
  if (!ok || n < min || n > max) {
    Invalid(key + " must be a whole number from " + std::to_string(min) + " to " +
            std::to_string(max));
  }
  return n;
}

std::string TextParam(const Query& q, const std::string& key, size_t max_bytes) {
  std::string v = First(q, key);
  if (!common::IsValidUtf8(v)) Invalid(key + " is not valid UTF-8");
  if (v.size() > max_bytes) {
    Invalid(key + " is longer than " + std::to_string(max_bytes) + " bytes");
  }
  return v;
}

std::string Capitalized(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string PrettyJson(const Json::Value& v) {
  Json::StreamWriterBuilder b;
  b["indentation"] = "  ";
  b["emitUTF8"] = true;
  return Json::writeString(b, v);
}

void SetTime(TemplateDictionary* d, const std::string& prefix, const std::string& iso) {
  d->SetValue(prefix, iso);
  d->SetValue(prefix + "_TEXT", FormatTime(iso));
}

// A time, or "never" when empty: sections <PREFIX> (ISO, TEXT) or <PREFIX>_NEVER.
void SetOptionalTime(TemplateDictionary* d, const std::string& prefix, const std::string& iso) {
  if (iso.empty()) {
    d->ShowSection(prefix + "_NEVER");
    return;
  }
  TemplateDictionary* t = d->AddSectionDictionary(prefix);
  t->SetValue("ISO", iso);
  t->SetValue("TEXT", FormatTime(iso));
}

void AddOption(TemplateDictionary* d, const std::string& section, const std::string& value,
               const std::string& label, const std::string& current) {
  TemplateDictionary* o = d->AddSectionDictionary(section);
  o->SetValue("VALUE", value);
  o->SetValue("LABEL", label);
  if (value == current) o->ShowSection("SELECTED");
}

void AddError(TemplateDictionary* d, const std::string& section, const std::string& message) {
  if (message.empty()) return;
  d->AddSectionDictionary(section)->SetValue("TEXT", Sentence(message));
}

std::string TelegramText(const std::optional<int64_t>& id) {
  return id ? std::to_string(*id) : std::string();
}

void FillPager(TemplateDictionary* d, int page, int per_page, int64_t total,
               const std::string& prev_url, const std::string& next_url) {
  const int64_t pages = std::max<int64_t>(1, (total + per_page - 1) / per_page);
  if (pages == 1 && page == 1) return;  // nothing to page through
  TemplateDictionary* p = d->AddSectionDictionary("PAGER");
  p->SetIntValue("PAGE", page);
  p->SetIntValue("PAGES", static_cast<long>(pages));
  if (page > 1) {
    p->AddSectionDictionary("PREV")->SetValue("HREF", prev_url);
  } else {
    p->ShowSection("NO_PREV");
  }
  if (static_cast<int64_t>(page) * per_page < total) {
    p->AddSectionDictionary("NEXT")->SetValue("HREF", next_url);
  } else {
    p->ShowSection("NO_NEXT");
  }
}

}  // namespace sattva::fcgi::views
