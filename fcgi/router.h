#pragma once
// Routes "METHOD /path/{param}/..." templates to handlers. Matching is by whole path segments;
// a {name} segment matches any one non-empty segment and binds it. A path that matches some
// template but not for this method yields kMethodNotAllowed with the allowed methods (HEAD is
// allowed wherever GET is). Build it once at startup; Match is then thread-safe.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "fcgi/http.h"

namespace sattva::fcgi {

struct RequestContext;
using Handler = std::function<Response(RequestContext&)>;

class Router {
 public:
  enum class Outcome { kFound, kNotFound, kMethodNotAllowed };
  struct Match {
    Outcome outcome = Outcome::kNotFound;
    const Handler* handler = nullptr;
    std::string route;                         // the template that matched
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;          // for kMethodNotAllowed (and OPTIONS)
  };
  struct Route {
    std::string method;
    std::string pattern;
  };

  // Throws std::invalid_argument on a malformed or duplicate template.
  void Add(const std::string& method, const std::string& pattern, Handler handler);
  // `path` is the percent-decoded path.
  Match Find(const std::string& method, const std::string& path) const;
  std::vector<Route> Routes() const;

 private:
  struct Entry {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Entry> entries_;
};

// Splits "/a/b/c" into {"a","b","c"}; a trailing slash is ignored.
std::vector<std::string> SplitPath(const std::string& path);

}  // namespace sattva::fcgi
