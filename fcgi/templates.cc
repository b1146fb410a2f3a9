#include "fcgi/templates.h"

#include "fcgi/http.h"

#include <map>
#include <memory>
#include <mutex>

namespace sattva::fcgi {
namespace {

// One cache per template directory, never freed (worker threads may be rendering at exit).
ctemplate::TemplateCache* CacheFor(const std::string& dir) {
  static std::mutex mu;
  static auto* caches = new std::map<std::string, std::unique_ptr<ctemplate::TemplateCache>>();
  std::lock_guard<std::mutex> lock(mu);
  auto it = caches->find(dir);
  if (it != caches->end()) return it->second.get();
  auto cache = std::make_unique<ctemplate::TemplateCache>();
  cache->SetTemplateRootDirectory(dir);
  return caches->emplace(dir, std::move(cache)).first->second.get();
}

}  // namespace

std::string RenderTemplate(const std::string& dir, const std::string& name,
                           const ctemplate::TemplateDictionary& dict) {
  std::string out;
  if (!CacheFor(dir)->ExpandWithData(name, ctemplate::STRIP_BLANK_LINES, &dict, nullptr, &out)) {
    throw TemplateError("template " + name + " (or one it includes) is missing or malformed in " +
                        dir);
  }
  return out;
}

std::string UrlEncode(const std::string& s) { return PercentEncode(s); }

std::string BuildQueryString(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    if (!out.empty()) out += '&';
    out += UrlEncode(k) + "=" + UrlEncode(v);
  }
  return out;
}

}  // namespace sattva::fcgi
