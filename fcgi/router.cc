#include "fcgi/router.h"

#include <algorithm>
#include <stdexcept>

namespace sattva::fcgi {
namespace {

bool IsParam(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

bool SegmentsMatch(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                   std::map<std::string, std::string>* params) {
  if (pattern.size() != path.size()) return false;
  std::map<std::string, std::string> bound;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (IsParam(pattern[i])) {
      if (path[i].empty()) return false;
      bound[pattern[i].substr(1, pattern[i].size() - 2)] = path[i];
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  if (params != nullptr) *params = std::move(bound);
  return true;
}

}  // namespace

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  if (!path.empty() && path[0] == '/') start = 1;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

void Router::Add(const std::string& method, const std::string& pattern, Handler handler) {
  if (pattern.empty() || pattern[0] != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  }
  for (const auto& e : entries_) {
    if (e.method == method && e.pattern == pattern) {
      throw std::invalid_argument("duplicate route " + method + " " + pattern);
    }
  }
  Entry e{method, pattern, SplitPath(pattern), std::move(handler)};
  for (const auto& s : e.segments) {
    if (s.empty()) throw std::invalid_argument("empty segment in route " + pattern);
  }
  entries_.push_back(std::move(e));
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
  Match m;
  const std::vector<std::string> segs = SplitPath(path);
  const std::string& want = method == "HEAD" ? std::string("GET") : method;
  // Prefer literal segments over parameters: among matching templates, take the one whose first
  // differing segment is literal. Ordering entries by "literalness" per position does that.
  const Entry* best = nullptr;
  std::map<std::string, std::string> best_params;
  auto more_literal = [](const Entry& a, const Entry& b) {
    for (size_t i = 0; i < a.segments.size(); ++i) {
      bool pa = IsParam(a.segments[i]), pb = IsParam(b.segments[i]);
      if (pa != pb) return !pa;
    }
    return false;
  };
  for (const auto& e : entries_) {
    std::map<std::string, std::string> params;
    if (!SegmentsMatch(e.segments, segs, &params)) continue;
    if (std::find(m.allowed.begin(), m.allowed.end(), e.method) == m.allowed.end()) {
      m.allowed.push_back(e.method);
      if (e.method == "GET") m.allowed.push_back("HEAD");
    }
    if (e.method == want && (best == nullptr || more_literal(e, *best))) {
      best = &e;
      best_params = std::move(params);
    }
  }
  std::sort(m.allowed.begin(), m.allowed.end());
  if (best != nullptr) {
    m.outcome = Outcome::kFound;
    m.handler = &best->handler;
    m.route = best->pattern;
    m.params = std::move(best_params);
  } else if (!m.allowed.empty()) {
    m.outcome = Outcome::kMethodNotAllowed;
  }
  return m;
}

std::vector<Router::Route> Router::Routes() const {
  std::vector<Route> out;
  for (const auto& e : entries_) out.push_back({e.method, e.pattern});
  return out;
}

}  // namespace sattva::fcgi
